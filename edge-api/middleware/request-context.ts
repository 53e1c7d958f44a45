import type { MiddlewareHandler } from "hono";
import { type AppDeps, type AppEnv, REQUEST_DEPS } from "../context.ts";
import { routePattern } from "../route-pattern.ts";
import { type HeaderList, securityHeadersFor } from "../security-headers.ts";

/** A correlation id from outside is kept only when it is this tame; anything else is replaced. */
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Stamps the ids and the security headers on a response; copies it when its headers are immutable. */
function stamp(res: Response, requestId: string, correlationId: string, security: HeaderList): Response {
  let out = res;
  try {
    out.headers.set("X-Request-ID", requestId);
  } catch {
    // Responses passed through from fetch() have immutable headers.
    out = new Response(res.body, res);
    out.headers.set("X-Request-ID", requestId);
  }
  const headers = out.headers;
  headers.set("X-Correlation-ID", correlationId);
  for (const [name, value] of security) {
    // A route may say more than no-store (the live tail adds no-transform for proxies), never less.
    if (name === "Cache-Control" && headers.get(name)?.includes("no-store")) continue;
    headers.set(name, value);
  }
  return out;
}

/** The dependencies a runtime handed this request (REQUEST_DEPS), if any. */
function requestDeps(env: unknown): AppDeps | undefined {
  if (typeof env !== "object" || env === null || !(REQUEST_DEPS in env)) return undefined;
  return (env as Record<typeof REQUEST_DEPS, AppDeps>)[REQUEST_DEPS];
}

/**
 * Hands every request the app's `deps` (or those the runtime handed it, REQUEST_DEPS) and its route pattern (`endpoint`, which the rate limits and
 * the metrics key on), gives it an X-Request-ID (always new) and an X-Correlation-ID (the caller's when
 * well-formed, else the request id), returns both on every response, errors included, with the security
 * headers that suit it (see security-headers.ts), and writes one wide log line per request.
 */
export function requestContext(appDeps: AppDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    const deps = requestDeps(c.env) ?? appDeps;
    c.set("deps", deps);
    const endpoint = routePattern(c);
    c.set("endpoint", endpoint);
    const requestId = crypto.randomUUID();
    const incoming = c.req.header("x-correlation-id");
    const correlationId = incoming && SAFE_ID.test(incoming) ? incoming : requestId;
    c.set("requestId", requestId);
    c.set("correlationId", correlationId);
    await next();
    // Reassigning c.res makes Hono copy every header across again: only do it when a copy was needed.
    const res = stamp(c.res, requestId, correlationId, securityHeadersFor(c.req.path));
    if (res !== c.res) c.res = res;
    deps.telemetry?.httpRequest(c.req.method, endpoint, res.status, (performance.now() - started) / 1000);
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
