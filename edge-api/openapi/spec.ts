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

/** `responses` with a problem answer for each code added (codes sharing a status described together). */
export function withProblems<T extends object>(responses: T, codes: Iterable<ErrorCode>): T {
  const out = { ...responses } as Record<number, { description: string; content?: object }>;
  for (const code of codes) {
    const status = statusOf(code);
    const existing = out[status];
    // A status the route answers with a body of its own (503 from /health) stays as it is.
    if (existing && !(existing.content && "application/problem+json" in existing.content)) continue;
    if (existing?.description.split("; ").includes(titleOf(code))) continue;
    out[status] = {
      description: existing ? `${existing.description}; ${titleOf(code)}` : titleOf(code),
      content: { "application/problem+json": { schema: ProblemSchema } },
    };
  }
  return out as T;
}

/**
 * The problem+json answers a route can give of its own (NOT_FOUND, CONFLICT, …), and 500, which any
 * route can give. What its declaration implies is added when it is registered (see router.ts):
 * 400/415/422/413 for a JSON body, 400 for query parameters, 401 for a bearer token.
 */
export function problems<C extends ErrorCode = never>(
  ...codes: C[]
): Record<StatusOf<C | "INTERNAL">, ProblemResponse> {
  return withProblems({}, [...codes, "INTERNAL"]) as Record<StatusOf<C | "INTERNAL">, ProblemResponse>;
}
