import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { AppError } from "../../core/errors.ts";
import { eventTimeOf, type LogEvent, LogEventSchema } from "../../core/log-event.ts";
import { LogContextSchema, LogSearchResultSchema, RecentLogsSchema } from "../../core/logs/schema.ts";
import { InvalidCursorError, type LogStore } from "../../core/ports/log-store.ts";
import { QueryTextSchema } from "../../core/query/schema.ts";
import { router } from "../openapi/router.ts";
import { json, problems } from "../openapi/spec.ts";
import { intParam, lastParam, listParam, numberParam } from "../validate.ts";
import { registerExport } from "./export.ts";
import { checkRange, levels, rangeParams } from "./params.ts";
import { registerPatterns } from "./patterns.ts";
import { registerStats } from "./stats.ts";
import { registerTail } from "./tail.ts";

const SearchParamsSchema = z
  .object({
    ...rangeParams,
    service: listParam.optional(),
    level: levels.optional(),
    correlation_id: lastParam(z.string().max(256)).optional(),
    trace_id: lastParam(z.string().max(256)).optional(),
    limit: intParam(1, 1000).default(100),
    cursor: lastParam(z.string().max(512)).optional(),
  })
  .superRefine(checkRange);

/** Most lines on each side of a hit that GET /api/v1/logs/{id}/context returns. */
export const MAX_CONTEXT_LINES = 100;

const contextCount = numberParam(
  z.number().int().min(0).max(MAX_CONTEXT_LINES, `at most ${MAX_CONTEXT_LINES}`),
).default(10);

const ContextParamsSchema = z.object({
  before: contextCount.describe(`Lines before the hit, 0–${MAX_CONTEXT_LINES}, default 10`),
  after: contextCount.describe(`Lines after the hit, 0–${MAX_CONTEXT_LINES}, default 10`),
  query: lastParam(QueryTextSchema)
    .optional()
    .describe("Only neighbours that match this query (the query language), e.g. `level:error`"),
});

/** Whether a comes before b in the store's order (timestamp, then id). */
function earlier(a: LogEvent, b: LogEvent): boolean {
  // To the microsecond: within one millisecond the store orders by them before the id.
  const ta = eventTimeOf(a.timestamp);
  const tb = eventTimeOf(b.timestamp);
  return ta < tb || (ta === tb && a.id < b.id);
}

/**
 * The `n` lines of the hit's service just before and just after it, oldest first, from the port's
 * newest-first search alone. Before: the newest lines up to the hit's timestamp. After: the newest-first
 * order hands out the far end of an open range, so the range is first narrowed (by counting, which
 * reads no rows) to one that holds the next `after` lines and few more, then read in one page.
 */
export async function surroundingLines(
  store: LogStore,
  hit: LogEvent,
  before: number,
  after: number,
  horizon: number,
  query?: string,
): Promise<{ before: LogEvent[]; after: LogEvent[] }> {
  const services = [hit.service];
  const text = query?.trim() || undefined;
  const at = Date.parse(hit.timestamp);
  // Lines sharing the hit's millisecond may sort on either side of it (by id).
  const sameMs = before > 0 || after > 0 ? await store.count({ services, text, from: at, to: at }) : 0;
  const page = (from: number | undefined, to: number, limit: number) =>
    store.search({ services, text, from, to, limit: Math.max(1, Math.min(1000, limit)) });

  let older: LogEvent[] = [];
  if (before > 0) {
    const { logs } = await page(undefined, at, before + sameMs);
    older = logs
      .filter((l) => earlier(l, hit))
      .slice(0, before)
      .reverse();
  }

  let newer: LogEvent[] = [];
  if (after > 0 && horizon > at) {
    const want = after + sameMs;
    const countUpTo = (span: number) =>
      store.count({ services, text, from: at, to: Math.min(at + span, horizon) });
    // Grow the span ×4 until it holds enough lines (or reaches the horizon)…
    let lo = 0;
    let hi = 1000;
    let n = await countUpTo(hi);
    while (n < want && at + hi < horizon) {
      lo = hi;
      hi *= 4;
      n = await countUpTo(hi);
    }
    // …then halve the gap while it holds far more than one page needs.
    for (let i = 0; i < 24 && n > want + 200 && hi - lo > 1; i++) {
      const mid = Math.floor((lo + hi) / 2);
      const m = await countUpTo(mid);
      if (m >= want) {
        hi = mid;
        n = m;
      } else lo = mid;
    }
    const { logs } = await page(at, Math.min(at + hi, horizon), n);
    newer = logs
      .filter((l) => earlier(hit, l))
      .reverse()
      .slice(0, after);
  }
  return { before: older, after: newer };
}

const RecentParamsSchema = z.object({
  limit: intParam(1, 1000).default(100),
  query: lastParam(QueryTextSchema).optional(),
});

const IdParams = z.object({ id: z.string().describe("The log's UUIDv7") });

const search = createRoute({
  method: "get",
  path: "/search",
  summary: "Search logs: text, services, levels, time range; newest first, cursor pagination, exact total",
  request: { query: SearchParamsSchema },
  responses: { 200: json(LogSearchResultSchema, "One page"), ...problems() },
});

const recent = createRoute({
  method: "get",
  path: "/recent",
  summary: "The newest logs",
  request: { query: RecentParamsSchema },
  responses: { 200: json(RecentLogsSchema, "Newest first"), ...problems() },
});

const context = createRoute({
  method: "get",
  path: "/{id}/context",
  summary: "The lines of the same service just before and after one log (like grep -C), oldest first",
  description:
    "Order is the store's: timestamp, then id. `before` and `after` exclude the log itself; either may be shorter than asked at the ends of the service's history.",
  request: { params: IdParams, query: ContextParamsSchema },
  responses: { 200: json(LogContextSchema, "The log and its neighbours"), ...problems("NOT_FOUND") },
});

const one = createRoute({
  method: "get",
  path: "/{id}",
  summary: "One log by id",
  request: { params: IdParams },
  responses: { 200: json(LogEventSchema, "The log"), ...problems("NOT_FOUND") },
});

/** GET /api/v1/logs/search, /recent, /tail, /stats, /fields, /patterns, /{id} and /{id}/context. */
export function logRoutes() {
  const app = router("logs", { strictQuery: true });
  // `/search`, `/recent`, `/tail` and `/patterns` before `/{id}`, which matches them too: the first registered answers.

  app.openapi(search, async (c) => {
    const deps = c.get("deps");
    const q = c.req.valid("query");
    const now = deps.now?.() ?? Date.now();
    const started = performance.now();
    try {
      const page = await deps.store.search({
        text: q.query?.trim() || undefined,
        services: q.service?.length ? q.service : undefined,
        levels: q.level?.length ? q.level : undefined,
        from: q.since !== undefined ? now - q.since : q.start_time,
        to: q.end_time,
        correlationId: q.correlation_id,
        traceId: q.trace_id,
        limit: q.limit,
        cursor: q.cursor,
      });
      return c.json(
        {
          total: page.total,
          logs: page.logs,
          next_cursor: page.nextCursor,
          took_ms: Math.round((performance.now() - started) * 10) / 10,
        },
        200,
      );
    } catch (err) {
      if (err instanceof InvalidCursorError) {
        throw new AppError("BAD_REQUEST", "cursor: not a cursor from a previous page of this search", {
          errors: [{ field: "cursor", message: "invalid cursor" }],
        });
      }
      throw err;
    }
  });

  app.openapi(recent, async (c) => {
    const { limit, query } = c.req.valid("query");
    const store = c.get("deps").store;
    const text = query?.trim();
    const logs = text
      ? (await store.search({ text, limit, withTotal: false })).logs
      : await store.recent(limit);
    return c.json({ logs, count: logs.length }, 200);
  });

  registerTail(app);
  registerPatterns(app);
  registerExport(app, SearchParamsSchema);
  registerStats(app);

  app.openapi(context, async (c) => {
    const deps = c.get("deps");
    const id = c.req.param("id");
    const { before, after, query } = c.req.valid("query");
    const log = await deps.store.get(id);
    if (!log) throw new AppError("NOT_FOUND", `No log with id ${JSON.stringify(id.slice(0, 64))}`);
    // Lines may carry timestamps up to a day ahead (clock skew); look no further than that.
    const horizon = (deps.now?.() ?? Date.now()) + deps.limits.maxFutureMs;
    const lines = await surroundingLines(deps.store, log, before, after, horizon, query);
    return c.json({ log, service: log.service, ...lines }, 200);
  });

  app.openapi(one, async (c) => {
    const id = c.req.param("id");
    const log = await c.get("deps").store.get(id);
    if (!log) throw new AppError("NOT_FOUND", `No log with id ${JSON.stringify(id.slice(0, 64))}`);
    return c.json(log, 200);
  });

  return app;
}
