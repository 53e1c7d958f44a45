/**
 * From scored points to the anomalies the API reports: the detection threshold, type, severity,
 * description and deduplication. The scores come from the streaming detector with DETECTOR_CONFIG,
 * the same one bench/nab.ts measures.
 */
import { DETECTOR_CONFIG, type DetectorConfig, type PointScore, StreamingDetector } from "./detector.ts";
import type { Anomaly, AnomalyType, Metric, Severity } from "./schema.ts";

/**
 * Severity from the robust z (median/MAD standard deviations off the baseline). The seed's table
 * started "low" at z > 1.0, which flags about a third of normal points; these bands start where the
 * detector does (z ≥ 4) and keep its order: low, medium, high, critical.
 */
export const SEVERITY_Z: Record<Exclude<Severity, "low">, number> = { critical: 12, high: 8, medium: 6 };

export function severityOf(z: number): Severity {
  const a = Math.abs(z);
  if (a >= SEVERITY_Z.critical) return "critical";
  if (a >= SEVERITY_Z.high) return "high";
  if (a >= SEVERITY_Z.medium) return "medium";
  return "low";
}

const RANK: Record<Severity, number> = { critical: 3, high: 2, medium: 1, low: 0 };

export interface MetricSeries {
  metric: Metric;
  service: string | null;
  /** Bucket starts (epoch ms), ascending, one per value. */
  timestamps: number[];
  values: number[];
}

export interface DetectOptions {
  /** Only points at or after this instant are reported; earlier ones are the baseline. */
  reportFrom: number;
  /** Points per season (1440 for daily seasonality of one-minute buckets), if the history allows. */
  period?: number;
  config?: DetectorConfig;
  /** Smallest deviation that counts, in the series' unit. */
  minScale?: number;
  /** Points after a detection looked at to tell a level shift (pattern_change) from a spike. Default 5. */
  confirm?: number;
}

function round(v: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/**
 * Stream a series through the detector and report the points in the reporting range whose score
 * reaches the threshold. A detection whose deviation holds for the following points is a level shift
 * (`pattern_change`); one that does not is a `spike` or a `drop`. Those later points only classify,
 * they never change the score.
 */
export function detectSeries(series: MetricSeries, opts: DetectOptions): Anomaly[] {
  const cfg = opts.config ?? DETECTOR_CONFIG;
  const detector = new StreamingDetector({ period: opts.period, config: cfg, minScale: opts.minScale });
  const scores: PointScore[] = series.values.map((v) => detector.push(v));
  const confirm = opts.confirm ?? 5;
  const out: Anomaly[] = [];
  for (let i = 0; i < scores.length; i++) {
    const p = scores[i]!;
    if (series.timestamps[i]! < opts.reportFrom || p.score < cfg.threshold) continue;
    const actual = series.values[i]!;
    const expected = p.expected;
    const up = actual > expected;
    const after = series.values.slice(i + 1, i + 1 + confirm);
    const halfway = (actual + expected) / 2;
    const sustained =
      after.length === confirm &&
      after.every((v) => (up ? v > halfway : v < halfway)) &&
      p.driver !== "shape";
    const type: AnomalyType = p.driver === "shape" || sustained ? "pattern_change" : up ? "spike" : "drop";
    const deviation =
      expected === 0 ? (actual === 0 ? 0 : 100) : ((actual - expected) / Math.abs(expected)) * 100;
    const what = type === "pattern_change" ? (up ? "level shift up" : "level shift down") : type;
    out.push({
      detected_at: new Date(series.timestamps[i]!).toISOString(),
      metric_name: series.metric,
      service: series.service,
      anomaly_type: type,
      description: `${series.metric} ${what}: ${actual.toFixed(2)} (expected ~${expected.toFixed(2)})`,
      score: round(p.score, 4),
      severity: severityOf(p.z),
      actual_value: round(actual, 4),
      expected_value: round(expected, 4),
      deviation_percent: round(deviation, 1),
    });
  }
  return out;
}

/**
 * Overlapping detections of one metric and service (within `gapMs` of each other) are one event:
 * keep its most severe detection (then the highest score, then the earliest). Newest first.
 */
export function dedupe(anomalies: Anomaly[], gapMs: number): Anomaly[] {
  const groups = new Map<string, Anomaly[]>();
  for (const a of anomalies) {
    const key = `${a.metric_name}\u0000${a.service ?? ""}`;
    const list = groups.get(key) ?? [];
    list.push(a);
    groups.set(key, list);
  }
  const kept: Anomaly[] = [];
  for (const list of groups.values()) {
    list.sort((a, b) => Date.parse(a.detected_at) - Date.parse(b.detected_at));
    let best: Anomaly | undefined;
    let last = Number.NEGATIVE_INFINITY;
    for (const a of list) {
      const t = Date.parse(a.detected_at);
      if (best && t - last > gapMs) {
        kept.push(best);
        best = undefined;
      }
      if (
        !best ||
        RANK[a.severity] > RANK[best.severity] ||
        (RANK[a.severity] === RANK[best.severity] && a.score > best.score)
      )
        best = a;
      last = t;
    }
    if (best) kept.push(best);
  }
  return kept.sort((a, b) => Date.parse(b.detected_at) - Date.parse(a.detected_at));
}
