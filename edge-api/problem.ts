import type { Context } from "hono";
import { AppError, type ErrorCode, statusOf, titleOf } from "../core/errors.ts";
import type { AppEnv } from "./context.ts";

/** An RFC 9457 problem+json response. */
export function problem(
  c: Context<AppEnv>,
  code: ErrorCode,
  detail: string,
  extra: { headers?: Record<string, string>; errors?: unknown[] } = {},
): Response {
  const status = statusOf(code);
  const body: Record<string, unknown> = {
    type: `https://logflow.dev/problems/${code.toLowerCase().replaceAll("_", "-")}`,
    title: titleOf(code),
    status,
    detail,
    code,
    request_id: c.get("requestId"),
  };
  if (extra.errors) body.errors = extra.errors;
  const headers: Record<string, string> = { "content-type": "application/problem+json", ...extra.headers };
  return new Response(JSON.stringify(body), { status, headers });
}

export function problemFromError(c: Context<AppEnv>, err: AppError): Response {
  return problem(c, err.code, err.detail, err.extra);
}

export { AppError };
