import { type Context, Hono } from "hono";
import { z } from "zod";
import { detect } from "../../core/anomaly/detect.ts";
import { METRICS, type Metric, SEVERITIES } from "../../core/anomaly/schema.ts";
import type { AppEnv } from "../context.ts";
import { problem } from "../problem.ts";
import { parseQuery } from "../validate.ts";

const last = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v[v.length - 1]! : v));

export const DetectParamsSchema = z.object({
  window_minutes: last
    .transform(Number)
    .pipe(z.number().int("a whole number of minutes").min(10, "at least 10").max(1440, "at most 1440"))
    .default(60),
  service: last.pipe(z.string().min(1).max(200)).optional(),
});
export type DetectParams = z.infer<typeof DetectParamsSchema>;

const iso = last.pipe(z.iso.datetime({ offset: true })).transform(Date.parse);

/** GET /api/v1/anomaly/recorded: what the scheduler's detection kept, newest first. */
export const RecordedParamsSchema = z.object({
  start_time: iso.optional(),
  end_time: iso.optional(),
  min_severity: last.pipe(z.enum(SEVERITIES)).optional(),
  service: last.pipe(z.string().min(1).max(200)).optional(),
  metric: last.pipe(z.enum(METRICS)).optional(),
  limit: last.transform(Number).pipe(z.number().int().min(1).max(500)).default(100),
  offset: last.transform(Number).pipe(z.number().int().min(0).max(1_000_000)).default(0),
});

/** GET /api/v1/anomaly/detect/log-volume, /detect/error-rate and /report. */
export function anomalyRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const detectRoute = (metric: Metric) => async (c: Context<AppEnv>) => {
    const deps = c.get("deps");
    const params = parseQuery(c, DetectParamsSchema);
    const result = await detect(deps.store, [metric], params, deps.now?.() ?? Date.now());
    // The seed answers a bare list; why a list is empty (too little history) travels in a header.
    if (result.anomalies.length === 0 && result.notes.length > 0) {
      c.header("X-Anomaly-Note", result.notes.slice(0, 5).join("; "));
    }
    return c.json(result.anomalies);
  };
  app.get("/detect/log-volume", detectRoute("log_volume"));
  app.get("/detect/error-rate", detectRoute("error_rate"));

  app.get("/recorded", async (c) => {
    const deps = c.get("deps");
    const p = parseQuery(c, RecordedParamsSchema);
    if (!deps.anomalies) {
      return problem(
        c,
        "UNAVAILABLE",
        "recorded anomalies need a database (set DATABASE_URL); detection on demand still works",
      );
    }
    const { anomalies, total } = await deps.anomalies.list({
      from: p.start_time,
      to: p.end_time,
      minSeverity: p.min_severity,
      services: p.service ? [p.service] : undefined,
      metric: p.metric,
      limit: p.limit,
      offset: p.offset,
    });
    return c.json({ anomalies, total, limit: p.limit, offset: p.offset });
  });

  app.get("/report", async (c) => {
    const deps = c.get("deps");
    const params = parseQuery(c, DetectParamsSchema);
    const result = await detect(deps.store, METRICS, params, deps.now?.() ?? Date.now());
    const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<string, number>;
    const byService: Record<string, number> = {};
    for (const a of result.anomalies) {
      bySeverity[a.severity] = (bySeverity[a.severity] ?? 0) + 1;
      const key = a.service ?? "all";
      byService[key] = (byService[key] ?? 0) + 1;
    }
    return c.json({
      period_start: new Date(result.periodStart).toISOString(),
      period_end: new Date(result.periodEnd).toISOString(),
      total_anomalies: result.anomalies.length,
      anomalies: result.anomalies,
      anomalies_by_severity: bySeverity,
      anomalies_by_service: byService,
      ...(result.anomalies.length === 0 && result.notes.length > 0
        ? { reason: result.notes.join("; ") }
        : {}),
    });
  });

  return app;
}
