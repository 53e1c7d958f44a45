import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import { routePattern } from "../route-pattern.ts";

/** A correlation id from outside is kept only when it is this tame; anything else is replaced. */
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function setHeaders(res: Response, headers: Record<string, string>): Response {
  try {
    for (const [k, v] of Object.entries(headers)) res.headers.set(k, v);
    return res;
  } catch {
    // Responses passed through from fetch() have immutable headers.
    const copy = new Response(res.body, res);
    for (const [k, v] of Object.entries(headers)) copy.headers.set(k, v);
    return copy;
  }
}

/**
 * Gives every request an X-Request-ID (always new) and an X-Correlation-ID (the caller's when
 * well-formed, else the request id), returns both on every response, errors included, and writes one
 * wide log line per request.
 */
export function requestContext(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    const requestId = crypto.randomUUID();
    const incoming = c.req.header("x-correlation-id");
    const correlationId = incoming && SAFE_ID.test(incoming) ? incoming : requestId;
    c.set("requestId", requestId);
    c.set("correlationId", correlationId);
    await next();
    // Reassigning c.res makes Hono copy every header across again: only do it when a copy was needed.
    const res = setHeaders(c.res, { "X-Request-ID": requestId, "X-Correlation-ID": correlationId });
    if (res !== c.res) c.res = res;
    const deps = c.get("deps");
    deps.telemetry?.httpRequest(
      c.req.method,
      routePattern(c),
      c.res.status,
      (performance.now() - started) / 1000,
    );
    const log = deps.log;
    if (log) {
      const status = c.res.status;
      const ms = performance.now() - started;
      // Keep every error and slow request; sample the healthy bulk so logs stay affordable.
      if (status >= 400 || ms > 500 || Math.random() < 0.05 || c.req.method !== "GET") {
        log({
          level: status >= 500 ? "ERROR" : status >= 400 ? "WARNING" : "INFO",
          msg: "request",
          method: c.req.method,
          path: c.req.path,
          status,
          duration_ms: Math.round(ms * 10) / 10,
          request_id: requestId,
          correlation_id: correlationId,
          user: c.get("user")?.username,
        });
      }
    }
  };
}
