import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { AppError } from "../../core/errors.ts";
import { LEVELS } from "../../core/level.ts";
import { parseLogEvent } from "../../core/log-event.ts";
import { CorrelationTraceSchema } from "../../core/logs/schema.ts";
import { currentUser, requireAdmin, requireAuth } from "../middleware/auth.ts";
import { router } from "../openapi/router.ts";
import { BEARER, json, jsonBody, problems } from "../openapi/spec.ts";

/** Headers whose values never leave the server, whatever endpoint echoes headers. */
const SECRET_HEADERS =
  /^(authorization|cookie|set-cookie|proxy-authorization|x-api-key|x-auth-token|upstash-.*)$/i;
/**
 * Any header or query parameter named like a credential (`X-Vault-Token`, `api_key`, `client-secret`,
 * `password`, `sig`, `session`…): its value is shown as [redacted].
 */
const SECRET_NAMES = /token|key|secret|passw|pwd|auth|cookie|session|credential|signature|^sig$/i;

const redacted = (name: string, value: string) =>
  SECRET_HEADERS.test(name) || SECRET_NAMES.test(name) ? "[redacted]" : value;

const TraceLogSchema = z
  .object({
    event: z.string().trim().min(1).max(200),
    details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
    service: z.string().trim().min(1).max(128).default("trace"),
    level: z.enum(LEVELS).default("INFO"),
  })
  .strict();

const TraceQuerySchema = z.object({
  limit: z.string().transform(Number).pipe(z.number().int().min(1).max(1000)).default(1000),
});

const ids = {
  request_id: z.string(),
  correlation_id: z.string().describe("the caller's X-Correlation-ID when well-formed, else the request id"),
};

const context = createRoute({
  method: "get",
  path: "/trace/context",
  summary: "This request's request id and correlation id",
  responses: { 200: json(z.object({ ...ids, timestamp: z.string() }), "Trace context"), ...problems() },
});

const debug = createRoute({
  method: "get",
  path: "/trace/debug",
  summary: "This request as the server saw it, secrets redacted",
  description: "Admin only.",
  security: BEARER,
  middleware: [requireAuth(), requireAdmin("read request debug traces")] as const,
  responses: {
    200: json(
      z.object({
        ...ids,
        method: z.string(),
        path: z.string(),
        headers: z
          .record(z.string(), z.string())
          .describe(
            "credentials, cookies and any header named like a token, key, secret or password as [redacted]",
          ),
        query_params: z
          .record(z.string(), z.string())
          .describe("any parameter named like a token, key, secret or password as [redacted]"),
        timestamp: z.string(),
        user: z.string(),
      }),
      "Request details",
    ),
    ...problems("FORBIDDEN"),
  },
});

const log = createRoute({
  method: "post",
  path: "/trace/log",
  summary: "Write a trace event as a log carrying your X-Correlation-ID",
  description: "Accepts a user session or an API key with the ingest scope.",
  security: BEARER,
  middleware: [requireAuth({ scope: "ingest" })] as const,
  request: {
    body: jsonBody(TraceLogSchema, { event: "payment_processed", details: { amount: 99.99 } }),
  },
  responses: {
    201: json(z.object({ id: z.string(), correlation_id: z.string(), logged: z.literal(true) }), "Logged"),
    ...problems("FORBIDDEN", "UNAVAILABLE"),
  },
});

const correlation = createRoute({
  method: "get",
  path: "/correlation/trace/{correlationId}",
  summary: "Every log of a correlation id, oldest first, grouped by service, with the gap between hops",
  request: {
    params: z.object({ correlationId: z.string().describe("The correlation id") }),
    query: TraceQuerySchema,
  },
  responses: { 200: json(CorrelationTraceSchema, "The trace"), ...problems("NOT_FOUND") },
});

/** /api/v1/trace/* (the seed's trace context API) and /api/v1/correlation/trace/{id}. */
export function traceRoutes() {
  const app = router("tracing");

  app.openapi(context, (c) =>
    c.json(
      {
        request_id: c.get("requestId"),
        correlation_id: c.get("correlationId"),
        timestamp: new Date(c.get("deps").now?.() ?? Date.now()).toISOString(),
      },
      200,
    ),
  );

  app.openapi(debug, (c) => {
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((value, name) => {
      headers[name] = redacted(name, value);
    });
    const query: Record<string, string> = {};
    for (const [name, value] of Object.entries(c.req.query())) query[name] = redacted(name, value);
    return c.json(
      {
        request_id: c.get("requestId"),
        correlation_id: c.get("correlationId"),
        method: c.req.method,
        path: c.req.path,
        headers,
        query_params: query,
        timestamp: new Date(c.get("deps").now?.() ?? Date.now()).toISOString(),
        user: currentUser(c).username,
      },
      200,
    );
  });

  // The seed's endpoint took anonymous writes; here writing a log takes the same credentials as ingest.
  app.openapi(log, async (c) => {
    const deps = c.get("deps");
    const body = c.req.valid("json");
    const now = deps.now?.() ?? Date.now();
    const parsed = parseLogEvent(
      {
        service: body.service,
        level: body.level,
        message: body.event,
        correlation_id: c.get("correlationId"),
        request_id: c.get("requestId"),
        attributes: Object.fromEntries(Object.entries(body.details ?? {}).filter(([, v]) => v !== null)),
      },
      now,
      deps.limits,
    );
    if (!parsed.ok) throw new AppError("VALIDATION_FAILED", parsed.error);
    await deps.queue.publish([parsed.event]);
    return c.json(
      { id: parsed.event.id, correlation_id: c.get("correlationId"), logged: true as const },
      201,
    );
  });

  app.openapi(correlation, async (c) => {
    const deps = c.get("deps");
    const correlationId = c.req.param("correlationId");
    if (correlationId.length > 256)
      throw new AppError("BAD_REQUEST", "correlation id longer than 256 characters");
    const { limit } = c.req.valid("query");
    const page = await deps.store.search({ correlationId, limit });
    if (page.total === 0)
      throw new AppError("NOT_FOUND", `No logs with correlation id ${JSON.stringify(correlationId)}`);
    const logs = [...page.logs].reverse(); // oldest first: the order the request travelled
    const times = logs.map((l) => Date.parse(l.timestamp));
    const services = new Map<string, { service: string; count: number; first: string; last: string }>();
    const hops: { from: string; to: string; at: string; gap_ms: number }[] = [];
    logs.forEach((log, i) => {
      const s = services.get(log.service);
      if (s) {
        s.count++;
        s.last = log.timestamp;
      } else
        services.set(log.service, {
          service: log.service,
          count: 1,
          first: log.timestamp,
          last: log.timestamp,
        });
      const prev = logs[i - 1];
      if (prev && prev.service !== log.service) {
        hops.push({
          from: prev.service,
          to: log.service,
          at: log.timestamp,
          gap_ms: times[i]! - times[i - 1]!,
        });
      }
    });
    const first = times[0]!;
    const last = times[times.length - 1]!;
    return c.json(
      {
        correlation_id: correlationId,
        total: page.total,
        truncated: page.total > logs.length,
        first_seen: new Date(first).toISOString(),
        last_seen: new Date(last).toISOString(),
        duration_ms: last - first,
        services: [...services.values()],
        hops,
        logs,
      },
      200,
    );
  });

  return app;
}
