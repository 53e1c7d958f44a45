import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { detect, detectPatterns } from "../../core/anomaly/detect.ts";
import {
  type Anomaly,
  AnomalyReportSchema,
  AnomalySchema,
  METRICS,
  type Metric,
  PatternAnomalySchema,
  RecordedAnomalyPageSchema,
  SEVERITIES,
  type Severity,
} from "../../core/anomaly/schema.ts";
import { AppError } from "../../core/errors.ts";
import { router } from "../openapi/router.ts";
import { json, problems } from "../openapi/spec.ts";
import { intParam, lastParam, numberParam } from "../validate.ts";

const DetectParamsSchema = z.object({
  window_minutes: numberParam(
    z.number().int("a whole number of minutes").min(10, "at least 10").max(1440, "at most 1440"),
  ).default(60),
  service: lastParam(z.string().min(1).max(200)).optional(),
});

const instant = lastParam(z.iso.datetime({ offset: true })).transform(Date.parse);

const RecordedParamsSchema = z.object({
  start_time: instant.optional(),
  end_time: instant.optional(),
  min_severity: lastParam(z.enum(SEVERITIES)).optional(),
  service: lastParam(z.string().min(1).max(200)).optional(),
  metric: lastParam(z.enum(METRICS)).optional(),
  limit: intParam(1, 500).default(100),
  offset: intParam(0, 1_000_000).default(0),
});

/** One anomaly as the detector reports it (the example of every anomaly route). */
const EXAMPLE: Anomaly = {
  detected_at: "2026-11-28T09:41:00.000Z",
  metric_name: "error_rate",
  service: "payment-service",
  anomaly_type: "spike",
  description: "error_rate spike: 61.54 (expected ~2.13)",
  score: 0.9731,
  severity: "critical",
  actual_value: 61.5385,
  expected_value: 2.1277,
  deviation_percent: 2792.3,
};
const EXAMPLES: Record<Metric, Anomaly> = {
  error_rate: EXAMPLE,
  log_volume: {
    ...EXAMPLE,
    metric_name: "log_volume",
    description: "log_volume spike: 412.00 (expected ~96.00)",
    actual_value: 412,
    expected_value: 96,
    deviation_percent: 329.2,
    severity: "high",
    score: 0.8874,
  },
};

const detectRoute = (metric: Metric) =>
  createRoute({
    method: "get",
    path: `/detect/${metric.replace("_", "-")}`,
    summary: `Anomalies in ${metric.replace("_", " ")} over the last window_minutes (10–1440), per service and overall`,
    description:
      "Per-minute series from the store, each point scored from its past only. An empty list for too little history says why in the X-Anomaly-Note header.",
    request: { query: DetectParamsSchema },
    responses: {
      200: json(z.array(AnomalySchema), "Anomalies, newest first", [EXAMPLES[metric]]),
      ...problems(),
    },
  });

const PatternDetectParamsSchema = z.object({
  window_minutes: DetectParamsSchema.shape.window_minutes,
  service: lastParam(z.string().min(1).max(200)).describe("The service whose patterns are looked at"),
  top: intParam(1, 50).default(10).describe("How many of its largest patterns (1–50, default 10)"),
});

const detectPatternRoute = createRoute({
  method: "get",
  path: "/detect/patterns",
  summary: "Anomalies in the volume of each of a service's largest log patterns over the last window_minutes",
  description:
    "Each pattern's per-minute count scored from its own past, as log-volume is: a spike of one template hidden inside a steady total shows here. Empty with too little history (why in X-Anomaly-Note).",
  request: { query: PatternDetectParamsSchema },
  responses: {
    200: json(z.array(PatternAnomalySchema), "Anomalies, newest first", [
      {
        ...EXAMPLES.log_volume,
        description: "pattern 8c3f08c27744fb35: log_volume spike: 412.00 (expected ~96.00)",
        pattern: "8c3f08c27744fb35",
        template: "card declined: <*>",
      },
    ]),
    ...problems(),
  },
});

const report = createRoute({
  method: "get",
  path: "/report",
  summary: "Both metrics' anomalies with counts by severity and service",
  request: { query: DetectParamsSchema },
  responses: {
    200: json(AnomalyReportSchema, "The report", {
      period_start: "2026-11-28T09:00:00.000Z",
      period_end: "2026-11-28T10:00:00.000Z",
      total_anomalies: 1,
      anomalies: [EXAMPLE],
      anomalies_by_severity: { critical: 1, high: 0, medium: 0, low: 0 },
      anomalies_by_service: { "payment-service": 1 },
    }),
    ...problems(),
  },
});

const recorded = createRoute({
  method: "get",
  path: "/recorded",
  summary: "Anomalies the scheduler recorded (each tick looks at the last 10 minutes), newest first",
  description:
    "Filter by time (start_time/end_time, ISO 8601), min_severity (low < medium < high < critical), service and metric. Alert rules with anomaly_severity count these.",
  request: { query: RecordedParamsSchema },
  responses: {
    200: json(RecordedAnomalyPageSchema, "A page of recorded anomalies", {
      anomalies: [{ ...EXAMPLE, id: 17, recorded_at: "2026-11-28T09:42:00.113Z" }],
      total: 1,
      limit: 100,
      offset: 0,
    }),
    ...problems("UNAVAILABLE"),
  },
});

/** GET /api/v1/anomaly/detect/log-volume, /detect/error-rate, /report and /recorded. */
export function anomalyRoutes() {
  const app = router("anomalies");

  for (const metric of METRICS) {
    app.openapi(detectRoute(metric), async (c) => {
      const deps = c.get("deps");
      const params = c.req.valid("query");
      const result = await detect(deps.store, [metric], params, deps.now?.() ?? Date.now());
      // The seed answers a bare list; why a list is empty (too little history) travels in a header.
      if (result.anomalies.length === 0 && result.notes.length > 0) {
        c.header("X-Anomaly-Note", result.notes.slice(0, 5).join("; "));
      }
      return c.json(result.anomalies, 200);
    });
  }

  app.openapi(detectPatternRoute, async (c) => {
    const deps = c.get("deps");
    const params = c.req.valid("query");
    const result = await detectPatterns(deps.store, params, deps.now?.() ?? Date.now());
    if (result.anomalies.length === 0 && result.notes.length > 0) {
      c.header("X-Anomaly-Note", result.notes.slice(0, 5).join("; "));
    }
    const ids = [...new Set(result.anomalies.map((a) => a.pattern))];
    const rows = new Map((await deps.patternRepo?.get(ids))?.map((r) => [r.id, r.template]) ?? []);
    return c.json(
      result.anomalies.map((a) => ({ ...a, template: rows.get(a.pattern) ?? "" })),
      200,
    );
  });

  app.openapi(recorded, async (c) => {
    const deps = c.get("deps");
    const p = c.req.valid("query");
    if (!deps.anomalies) {
      throw new AppError(
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
    return c.json({ anomalies, total, limit: p.limit, offset: p.offset }, 200);
  });

  app.openapi(report, async (c) => {
    const deps = c.get("deps");
    const params = c.req.valid("query");
    const result = await detect(deps.store, METRICS, params, deps.now?.() ?? Date.now());
    const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
    const byService: Record<string, number> = {};
    for (const a of result.anomalies) {
      bySeverity[a.severity] += 1;
      const key = a.service ?? "all";
      byService[key] = (byService[key] ?? 0) + 1;
    }
    return c.json(
      {
        period_start: new Date(result.periodStart).toISOString(),
        period_end: new Date(result.periodEnd).toISOString(),
        total_anomalies: result.anomalies.length,
        anomalies: result.anomalies,
        anomalies_by_severity: bySeverity,
        anomalies_by_service: byService,
        ...(result.anomalies.length === 0 && result.notes.length > 0
          ? { reason: result.notes.join("; ") }
          : {}),
      },
      200,
    );
  });

  return app;
}
