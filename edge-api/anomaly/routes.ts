import { type Context, Hono } from "hono";
import { z } from "zod";
import {
  type Anomaly,
  dedupe,
  detectSeries,
  type MetricSeries,
  SEVERITIES,
} from "../../core/anomaly/anomalies.ts";
import { DETECTOR_CONFIG } from "../../core/anomaly/detector.ts";
import type { Level } from "../../core/level.ts";
import type { HistogramBucket, LogStore } from "../../core/ports/log-store.ts";
import type { AppEnv } from "../context.ts";
import { parseQuery } from "../validate.ts";

const MINUTE = 60_000;
const ERROR_LEVELS: Level[] = ["ERROR", "CRITICAL"];
/** Fewer points than this in a series: nothing is said about it. */
export const MIN_POINTS = 5;
/** Detections of one metric and service this close together are one event. */
const DEDUPE_GAP_MS = 5 * MINUTE;
/** Services looked at, largest first. */
const MAX_SERVICES = 50;
/** One-minute buckets per day: the season of log traffic. */
const DAY = 1440;

export const METRICS = ["log_volume", "error_rate"] as const;
export type Metric = (typeof METRICS)[number];

/**
 * Smallest deviation worth a score (one robust standard deviation), in the metric's unit. Volume: one
 * log a minute. Error rate: one failed line in a typical minute of the series (100 / median lines a
 * minute, in percentage points, between 0.5 and 5). Without it a series that never moved (MAD 0) would
 * call one failed request among twenty a critical anomaly.
 */
function minScale(metric: Metric, buckets: HistogramBucket[]): number {
  if (metric === "log_volume") return 1;
  const first = buckets.findIndex((b) => b.count > 0);
  const counts = buckets
    .slice(Math.max(first, 0))
    .map((b) => b.count)
    .sort((a, b) => a - b);
  const typical = counts[counts.length >> 1] ?? 0;
  return Math.min(5, Math.max(0.5, typical > 0 ? 100 / typical : 5));
}

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

/**
 * History before the window the detector learns from: four windows, at least six hours, and with a
 * day's window enough days for the daily season (the histogram allows at most 10,000 buckets).
 */
export function baselineMinutes(windowMinutes: number): number {
  return Math.min(Math.max(4 * windowMinutes, 360), 9000 - windowMinutes);
}

function seriesOf(buckets: HistogramBucket[], metric: Metric): { timestamps: number[]; values: number[] } {
  // A service that did not exist yet has no baseline: start at its first event.
  const first = buckets.findIndex((b) => b.count > 0);
  const used = first < 0 ? [] : buckets.slice(first);
  const values: number[] = [];
  let rate = 0;
  for (const b of used) {
    if (metric === "log_volume") values.push(b.count);
    else {
      // A minute without logs says nothing about the error rate: carry the last one.
      if (b.count > 0) rate = (100 * ERROR_LEVELS.reduce((s, l) => s + b.levels[l], 0)) / b.count;
      values.push(rate);
    }
  }
  return { timestamps: used.map((b) => b.start), values };
}

export interface DetectionResult {
  anomalies: Anomaly[];
  /** Why some or all series said nothing, when that is the case. */
  notes: string[];
  periodStart: number;
  periodEnd: number;
}

/**
 * Per-minute series from the store's histograms (never raw logs): one for every service (or the one
 * asked for) and, without a service, one for all services together; each scored from its own past.
 */
export async function detect(
  store: LogStore,
  metrics: readonly Metric[],
  params: DetectParams,
  now: number,
): Promise<DetectionResult> {
  // Whole minutes only: the current minute is still filling and would look like a drop.
  const periodEnd = Math.floor(now / MINUTE) * MINUTE;
  const periodStart = periodEnd - params.window_minutes * MINUTE;
  const from = periodStart - baselineMinutes(params.window_minutes) * MINUTE;
  const to = periodEnd - 1;
  const targets: Array<string | null> = params.service
    ? [params.service]
    : [null, ...(await store.breakdown({ from, to }, "service", MAX_SERVICES)).map((c) => c.key)];

  const found: Anomaly[] = [];
  const notes: string[] = [];
  for (const service of targets) {
    const buckets = await store.histogram({ from, to, services: service ? [service] : undefined }, MINUTE);
    for (const metric of metrics) {
      const { timestamps, values } = seriesOf(buckets, metric);
      const who = `${metric}${service ? ` of ${service}` : ""}`;
      if (values.length < MIN_POINTS) {
        notes.push(`${who}: ${values.length} one-minute points, fewer than ${MIN_POINTS}`);
        continue;
      }
      if (values.length <= DETECTOR_CONFIG.minHistory) {
        notes.push(
          `${who}: ${values.length} points, the baseline needs more than ${DETECTOR_CONFIG.minHistory}`,
        );
        continue;
      }
      const series: MetricSeries = { metric, service, timestamps, values };
      found.push(
        ...detectSeries(series, {
          reportFrom: periodStart,
          period: DAY,
          minScale: minScale(metric, buckets),
        }),
      );
    }
  }
  return { anomalies: dedupe(found, DEDUPE_GAP_MS), notes, periodStart, periodEnd };
}

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
