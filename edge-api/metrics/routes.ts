import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { AppError } from "../../core/errors.ts";
import { LEVELS, type Level } from "../../core/level.ts";
import {
  HEALTH_THRESHOLDS,
  healthOf,
  type Overview,
  OverviewSchema,
  type ServiceMetrics,
  ServiceMetricsSchema,
  type SystemMetrics,
  SystemMetricsSchema,
  type Timeseries,
  TimeseriesSchema,
} from "../../core/metrics/schema.ts";
import type { CountByKey, LogFilter } from "../../core/ports/log-store.ts";
import { IntervalSchema, MAX_TIME_BUCKETS, QueryTextSchema } from "../../core/query/schema.ts";
import { cachedJsonText, EMPTY_COUNTS, type JsonText, jsonText } from "../cache/response-cache.ts";
import type { AppDeps } from "../context.ts";
import { listPatterns } from "../logs/patterns.ts";
import { router } from "../openapi/router.ts";
import { json, problems } from "../openapi/spec.ts";
import { lastParam, numberParam } from "../validate.ts";

const MINUTE = 60_000;
const ERROR_LEVELS: Level[] = ["ERROR", "CRITICAL"];

/** Percent with two decimals (12.5 = 12.5 %); 0 when there is nothing to divide. */
function percent(part: number, whole: number): number {
  return whole > 0 ? Math.round((part / whole) * 10_000) / 100 : 0;
}

function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

const windowMinutes = (dflt: number) =>
  numberParam(z.number().int().min(1).max(10_080, "at most 10080 (7 days)")).default(dflt);

const OverviewParamsSchema = z.object({ window_minutes: windowMinutes(60) });
const TimeseriesParamsSchema = z
  .object({
    interval: lastParam(IntervalSchema).prefault("5m"),
    window_minutes: windowMinutes(60),
    service: lastParam(z.string().min(1).max(200)).optional(),
    query: lastParam(QueryTextSchema).optional(),
  })
  .superRefine((q, ctx) => {
    if ((q.window_minutes * MINUTE) / q.interval.ms > MAX_TIME_BUCKETS) {
      ctx.addIssue({
        code: "custom",
        path: ["window_minutes"],
        message: `at most ${MAX_TIME_BUCKETS} buckets: window_minutes / interval is too large for ${q.interval.text}`,
      });
    }
  });

function levelsRecord(rows: CountByKey[]): Record<Level, number> {
  const out = Object.fromEntries(LEVELS.map((l) => [l, 0])) as Record<Level, number>;
  for (const r of rows) if (r.key in out) out[r.key as Level] = r.count;
  return out;
}

interface Window {
  from: number;
  to: number;
  /** The window just before: [prevFrom, from - 1]. */
  prevFrom: number;
  minutes: number;
}

function windowEndingAt(now: number, minutes: number): Window {
  const from = now - minutes * MINUTE;
  return { from, to: now, prevFrom: from - minutes * MINUTE, minutes };
}

type Summary = Omit<ServiceMetrics, "service" | "window_minutes" | "start_time" | "end_time" | "health">;

/** Totals, level mix, error rate and trend of one filter over a window: six grouped store queries. */
async function summarize(deps: AppDeps, base: LogFilter, w: Window): Promise<Summary> {
  const current = { ...base, from: w.from, to: w.to };
  const previous = { ...base, from: w.prevFrom, to: w.from - 1 };
  const [levels, prevLevels, errorGroups] = await Promise.all([
    deps.store.breakdown(current, "level"),
    deps.store.breakdown(previous, "level"),
    topErrors(deps, { ...current, levels: ERROR_LEVELS }),
  ]);
  const lv = levelsRecord(levels);
  const prev = levelsRecord(prevLevels);
  const total = LEVELS.reduce((s, l) => s + lv[l], 0);
  const prevTotal = LEVELS.reduce((s, l) => s + prev[l], 0);
  const errors = lv.ERROR + lv.CRITICAL;
  const prevErrors = prev.ERROR + prev.CRITICAL;
  const errorRate = percent(errors, total);
  const prevErrorRate = percent(prevErrors, prevTotal);
  const change = prevTotal > 0 ? round(((total - prevTotal) / prevTotal) * 100, 2) : null;
  return {
    total_logs: total,
    error_count: errors,
    logs_per_minute: round(total / w.minutes),
    logs_per_second: round(total / (w.minutes * 60)),
    error_rate: errorRate,
    levels: lv,
    top_errors: errorGroups,
    trend: {
      previous_total_logs: prevTotal,
      previous_error_rate: prevErrorRate,
      change_percent: change,
      error_rate_change: round(errorRate - prevErrorRate, 2),
      direction: total > prevTotal ? "up" : total < prevTotal ? "down" : "flat",
    },
  };
}

/**
 * The ten largest error patterns; where most of the window's errors were stored before patterns were
 * mined, the ten most frequent identical messages instead.
 */
async function topErrors(
  deps: AppDeps,
  filter: LogFilter & { from: number; to: number },
): Promise<{ message: string; count: number; pattern: string | null }[]> {
  const grouped = await listPatterns(deps.store, deps.patternRepo, filter, filter.to - filter.from + 1, 10);
  if (grouped.total > 0 && grouped.without_pattern * 2 <= grouped.total) {
    return grouped.patterns.map((p) => ({ message: p.template, count: p.count, pattern: p.id }));
  }
  const top = await deps.store.topMessages(filter, 10);
  return top.map((t) => ({ message: t.key, count: t.count, pattern: null }));
}

const overview = createRoute({
  method: "get",
  path: "/overview",
  summary: "Volume, rates, levels, top errors, per-service health and the trend over the last window",
  request: { query: OverviewParamsSchema },
  responses: { 200: json(OverviewSchema, "The overview"), ...problems() },
});

const service = createRoute({
  method: "get",
  path: "/service/{name}",
  summary: "One service's figures and health over the last window",
  request: { params: z.object({ name: z.string().describe("the service") }), query: OverviewParamsSchema },
  responses: { 200: json(ServiceMetricsSchema, "The service's metrics"), ...problems("NOT_FOUND") },
});

const system = createRoute({
  method: "get",
  path: "/system",
  summary: "Store size, ingest rate, queue lag, uptime and database connections",
  responses: { 200: json(SystemMetricsSchema, "System metrics"), ...problems() },
});

const timeseries = createRoute({
  method: "get",
  path: "/timeseries",
  summary: "Counts per interval and level over the last window; empty buckets as zeros",
  request: { query: TimeseriesParamsSchema },
  responses: { 200: json(TimeseriesSchema, "Buckets, oldest first"), ...problems() },
});

/** When this process started: uptime in /system. */
const startedAt = Date.now();

/** GET /api/v1/metrics/overview, /service/{name}, /system, /timeseries. Open, as in the seed. */
export function metricsRoutes() {
  const app = router("metrics", { strictQuery: true });

  app.openapi(overview, async (c) => {
    const deps = c.get("deps");
    const q = c.req.valid("query");
    const now = deps.now?.() ?? Date.now();
    const w = windowEndingAt(now, q.window_minutes);
    const body = await cachedJsonText(
      c,
      "metrics",
      `overview:${q.window_minutes}`,
      30,
      async (): Promise<Overview> => {
        const range = { from: w.from, to: w.to };
        const [summary, services, serviceErrors] = await Promise.all([
          summarize(deps, {}, w),
          deps.store.breakdown(range, "service"),
          deps.store.breakdown({ ...range, levels: ERROR_LEVELS }, "service"),
        ]);
        const errorsOf = new Map(serviceErrors.map((s) => [s.key, s.count]));
        return {
          window_minutes: q.window_minutes,
          start_time: new Date(w.from).toISOString(),
          end_time: new Date(w.to).toISOString(),
          ...summary,
          active_services: services.length,
          services: services.map((s) => {
            const errors = errorsOf.get(s.key) ?? 0;
            const rate = percent(errors, s.count);
            return {
              name: s.key,
              total_logs: s.count,
              error_count: errors,
              error_rate: rate,
              health: healthOf(rate),
            };
          }),
          health_thresholds: HEALTH_THRESHOLDS,
        };
      },
    );
    return jsonText(c, body);
  });

  app.openapi(service, async (c) => {
    const deps = c.get("deps");
    const name = c.req.param("name");
    const q = c.req.valid("query");
    const now = deps.now?.() ?? Date.now();
    const w = windowEndingAt(now, q.window_minutes);
    const body = await cachedJsonText(
      c,
      "metrics",
      `service:${name}:${q.window_minutes}`,
      60,
      async (): Promise<ServiceMetrics | null> => {
        const summary = await summarize(deps, { services: [name] }, w);
        if (summary.total_logs === 0 && summary.trend.previous_total_logs === 0) return null;
        return {
          service: name,
          window_minutes: q.window_minutes,
          start_time: new Date(w.from).toISOString(),
          end_time: new Date(w.to).toISOString(),
          ...summary,
          health: healthOf(summary.error_rate),
        };
      },
    );
    if (body === "null") {
      throw new AppError(
        "NOT_FOUND",
        `No logs from service ${JSON.stringify(name.slice(0, 200))} in the last ${2 * q.window_minutes} minutes`,
      );
    }
    return jsonText(c, body as JsonText<ServiceMetrics>);
  });

  app.openapi(system, async (c) => {
    const deps = c.get("deps");
    const now = deps.now?.() ?? Date.now();
    const body = await cachedJsonText(c, "metrics", "system", 45, async (): Promise<SystemMetrics> => {
      const [stats, lastMinute, lastFive, connections, rules] = await Promise.all([
        deps.store.stats(),
        deps.store.count({ from: now - MINUTE, to: now }),
        deps.store.count({ from: now - 5 * MINUTE, to: now }),
        deps.databaseConnections ? deps.databaseConnections().catch(() => null) : Promise.resolve(null),
        deps.retentionRules ? deps.retentionRules.list() : Promise.resolve(null),
      ]);
      return {
        timestamp: new Date(now).toISOString(),
        uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
        store: {
          events: stats.events,
          bytes: stats.bytes,
          oldest: stats.oldest === null ? null : new Date(stats.oldest).toISOString(),
          newest: stats.newest === null ? null : new Date(stats.newest).toISOString(),
        },
        ingest: {
          logs_last_minute: lastMinute,
          logs_per_second_1m: round(lastMinute / 60),
          logs_per_second_5m: round(lastFive / 300),
          queue_lag: deps.queue.lag(),
        },
        cache: deps.cache
          ? {
              ...(deps.cacheStats?.snapshot() ?? EMPTY_COUNTS),
              keys: await deps.cache.keyCount().catch(() => null),
            }
          : null,
        database: { connections: connections },
        retention: rules
          ? {
              retention_days: deps.settings.RETENTION_DAYS,
              rules: rules.map(({ pattern, days, last_run }) => ({ pattern, days, last_run })),
            }
          : null,
      };
    });
    return jsonText(c, body);
  });

  app.openapi(timeseries, async (c) => {
    const deps = c.get("deps");
    const q = c.req.valid("query");
    const now = deps.now?.() ?? Date.now();
    const intervalMs = q.interval.ms;
    const text = q.query?.trim() || undefined;
    // The query's text is the key's last part: nothing after it can make two keys collide.
    const key = `timeseries:${intervalMs}:${q.window_minutes}:${JSON.stringify(q.service ?? "")}:${text ?? ""}`;
    const body = await cachedJsonText(c, "metrics", key, 120, async (): Promise<Timeseries> => {
      const from = now - q.window_minutes * MINUTE;
      const buckets = await deps.store.histogram(
        { from, to: now, ...(q.service ? { services: [q.service] } : {}), ...(text ? { text } : {}) },
        intervalMs,
      );
      return {
        interval: q.interval.text,
        query: text ?? null,
        window_minutes: q.window_minutes,
        service: q.service ?? null,
        start_time: new Date(from).toISOString(),
        end_time: new Date(now).toISOString(),
        buckets: buckets.map((b) => ({
          timestamp: new Date(b.start).toISOString(),
          count: b.count,
          errors: b.levels.ERROR + b.levels.CRITICAL,
          levels: b.levels,
        })),
      };
    });
    return jsonText(c, body);
  });

  return app;
}
