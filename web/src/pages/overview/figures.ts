import type { Overview, Timeseries } from "../../data/metrics.ts";

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "5m" → 300,000 ms (the API's bucket intervals). */
export function intervalMs(interval: string): number {
  const m = /^(\d+)([smhd])$/.exec(interval);
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : 60_000;
}

/** The chart's buckets split into those that are over and the one still filling (drawn apart). */
export function finishedBuckets<B extends { timestamp: string }>(
  buckets: B[],
  interval: string,
  now = Date.now(),
): { finished: B[]; filling: B | null } {
  const ms = intervalMs(interval);
  const last = buckets[buckets.length - 1];
  if (last && Date.parse(last.timestamp) + ms > now) return { finished: buckets.slice(0, -1), filling: last };
  return { finished: buckets, filling: null };
}

export interface OverviewFigures {
  /** All-time total, never below the window's (the store's count can lag a write). */
  allTime: number | null;
  /** Logs per minute over the part of the window that has data (not the minutes before the first log). */
  perMinute: number;
  /** Minutes `perMinute` is averaged over. */
  spanMinutes: number;
  /** Trends only when the window before had logs to compare with. */
  trend: boolean;
}

/**
 * The overview's cards, made to agree with each other: all time is at least the last window; the rate
 * is over the span that has data; no trend (of volume or of error rate) without earlier data.
 */
export function overviewFigures(
  o: Overview,
  allTime: number | null,
  ts: Timeseries | undefined,
  now = Date.now(),
): OverviewFigures {
  const windowStart = Date.parse(o.start_time);
  const windowEnd = Math.min(now, Date.parse(o.end_time) || now);
  let from = windowStart;
  const first = ts?.buckets.find((b) => b.count > 0);
  // Data began inside the window (and the window before had none): average from its first bucket.
  if (first && o.trend.previous_total_logs === 0) from = Math.max(windowStart, Date.parse(first.timestamp));
  const spanMinutes = Math.max(1, (windowEnd - from) / 60_000);
  return {
    allTime: allTime === null ? null : Math.max(allTime, o.total_logs),
    perMinute: o.total_logs === 0 ? 0 : o.total_logs / spanMinutes,
    spanMinutes,
    trend: o.trend.previous_total_logs > 0,
  };
}
