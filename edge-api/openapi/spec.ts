/**
 * Small builders for the parts every `createRoute` repeats: a JSON answer, a JSON body, the problem
 * answers a route can give, and bearer security. What each route says stays in its own folder.
 */
import type { z } from "zod";
import { type ErrorCode, ProblemSchema, type StatusOf, statusOf, titleOf } from "../../core/errors.ts";

/** The route takes a bearer token: a session, or an API key where the route names a scope. */
export const BEARER: { bearer: string[] }[] = [{ bearer: [] }];

/** A 2xx JSON answer checked against `schema` (the handler's `c.json` is type-checked against it). */
export function json<S extends z.ZodType>(schema: S, description: string, example?: z.input<S>) {
  return {
    description,
    content: { "application/json": { schema, ...(example === undefined ? {} : { example }) } },
  };
}

/** A JSON request body validated by `schema` (422 naming each bad field; 415, 400 before that). */
export function jsonBody<S extends z.ZodType>(schema: S, example?: z.input<S>) {
  return {
    required: true,
    content: { "application/json": { schema, ...(example === undefined ? {} : { example }) } },
  };
}

interface ProblemResponse {
  description: string;
  content: { "application/problem+json": { schema: typeof ProblemSchema } };
}

/**
 * The problem+json answers a route can give, by status (codes sharing one are described together),
 * and 500, which any route can give.
 */
export function problems<C extends ErrorCode = never>(
  ...codes: C[]
): Record<StatusOf<C | "INTERNAL">, ProblemResponse> {
  const out: Record<number, ProblemResponse> = {};
  for (const code of new Set<ErrorCode>([...codes, "INTERNAL"])) {
    const status = statusOf(code);
    const existing = out[status];
    out[status] = {
      description: existing ? `${existing.description}; ${titleOf(code)}` : titleOf(code),
      content: { "application/problem+json": { schema: ProblemSchema } },
    };
  }
  return out as Record<StatusOf<C | "INTERNAL">, ProblemResponse>;
}
