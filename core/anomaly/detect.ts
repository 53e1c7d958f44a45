/**
 * Anomaly detection over the store: per-minute series of log volume and error rate, per service and
 * overall, each scored from its own past. Used by the API (on demand) and by the scheduler (each tick,
 * recording what it finds).
 */
import type { Level } from "../level.ts";
import type { HistogramBucket, LogStore } from "../ports/log-store.ts";
import { dedupe, detectSeries, type MetricSeries } from "./anomalies.ts";
import { DETECTOR_CONFIG } from "./detector.ts";
import type { Anomaly, Metric } from "./schema.ts";

/** What to look at: the last `window_minutes` whole minutes, of one service or of all. */
export interface DetectParams {
  window_minutes: number;
  service?: string;
}

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

/** One pattern's anomaly: the detector's finding on that template's own per-minute volume. */
export type PatternAnomaly = Anomaly & { pattern: string };

/**
 * Anomalies of the `top` largest patterns of one service, each pattern's per-minute volume scored from
 * its own past: a spike of one template hidden in a steady total (one error replacing another) shows
 * here and not in the service's volume. One grouped read of the store (patternCounts by minute).
 */
export async function detectPatterns(
  store: LogStore,
  params: { window_minutes: number; service: string; top: number },
  now: number,
): Promise<{ anomalies: PatternAnomaly[]; notes: string[]; periodStart: number; periodEnd: number }> {
  const periodEnd = Math.floor(now / MINUTE) * MINUTE;
  const periodStart = periodEnd - params.window_minutes * MINUTE;
  const from = periodStart - baselineMinutes(params.window_minutes) * MINUTE;
  const counts = await store.patternCounts(
    { from, to: periodEnd - 1, services: [params.service] },
    MINUTE,
    params.top,
  );
  const found: PatternAnomaly[] = [];
  const notes: string[] = [];
  for (const p of counts.patterns) {
    const first = p.buckets.findIndex((n) => n > 0);
    const values = first < 0 ? [] : p.buckets.slice(first);
    if (values.length <= DETECTOR_CONFIG.minHistory) {
      notes.push(
        `pattern ${p.id}: ${values.length} one-minute points, the baseline needs more than ${DETECTOR_CONFIG.minHistory}`,
      );
      continue;
    }
    const start = Math.floor(from / MINUTE) * MINUTE + first * MINUTE;
    const series: MetricSeries = {
      metric: "log_volume",
      service: params.service,
      timestamps: values.map((_, i) => start + i * MINUTE),
      values,
    };
    for (const a of dedupe(
      detectSeries(series, { reportFrom: periodStart, period: DAY, minScale: 1 }),
      DEDUPE_GAP_MS,
    )) {
      found.push({ ...a, description: `pattern ${p.id}: ${a.description}`, pattern: p.id });
    }
  }
  found.sort((a, b) => (a.detected_at < b.detected_at ? 1 : a.detected_at > b.detected_at ? -1 : 0));
  return { anomalies: found, notes, periodStart, periodEnd };
}
