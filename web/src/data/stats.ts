import type { Fields, Stats } from "../../../core/query/schema.ts";
import { api } from "./api.ts";

export type { Fields, Stats };

/** The window both ends absolute, as the search uses it (ms). */
export interface Window {
  from: number;
  to: number;
}

function rangeParams(query: string, w: Window): URLSearchParams {
  const p = new URLSearchParams();
  if (query.trim()) p.set("query", query.trim());
  p.set("start_time", new Date(w.from).toISOString());
  p.set("end_time", new Date(w.to).toISOString());
  return p;
}

/** GET /api/v1/logs/stats: counts by level in buckets of `interval` over the window. */
export function levelHistogram(
  query: string,
  w: Window,
  interval: string,
  signal?: AbortSignal,
): Promise<Stats> {
  const p = rangeParams(query, w);
  p.set("by", "level");
  p.set("interval", interval);
  p.set("limit", "5");
  return api<Stats>(`/api/v1/logs/stats?${p}`, { signal });
}

/** GET /api/v1/logs/fields: the fields of the matching events with their top values. */
export function fieldsOf(query: string, w: Window, top = 5, signal?: AbortSignal): Promise<Fields> {
  const p = rangeParams(query, w);
  p.set("top", String(top));
  return api<Fields>(`/api/v1/logs/fields?${p}`, { signal });
}

const INTERVALS: [string, number][] = [
  ["1s", 1_000],
  ["5s", 5_000],
  ["10s", 10_000],
  ["30s", 30_000],
  ["1m", 60_000],
  ["5m", 300_000],
  ["10m", 600_000],
  ["15m", 900_000],
  ["30m", 1_800_000],
  ["1h", 3_600_000],
  ["3h", 10_800_000],
  ["6h", 21_600_000],
  ["12h", 43_200_000],
  ["1d", 86_400_000],
];

/** The histogram's bar length for a window: the shortest that needs at most `bars` bars. */
export function histogramInterval(lengthMs: number, bars = 80): { text: string; ms: number } {
  for (const [text, ms] of INTERVALS) if (lengthMs / ms <= bars) return { text, ms };
  return { text: "1d", ms: 86_400_000 };
}

/** Values written without quotes in a query (as core/query/format.ts writes them). */
const BARE_VALUE = /^(?!\/\/)[\p{L}\p{M}\p{N}_.@/:-]+$/u;

/** `name:value` as the query language reads it, the value quoted when it must be. */
export function fieldTerm(name: string, value: string): string {
  const v =
    BARE_VALUE.test(value) && !value.startsWith("-")
      ? value
      : `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
  return `${name}:${v}`;
}

/**
 * The query text with `name:value` included (or, with `exclude`, `-name:value`): the term is added at
 * the end, replacing the opposite one if the text has it; a term already there is left as it is.
 */
export function withFieldTerm(query: string, name: string, value: string, exclude: boolean): string {
  const term = fieldTerm(name, value);
  const want = exclude ? `-${term}` : term;
  const other = exclude ? term : `-${term}`;
  const tokens = query.trim() ? query.trim().split(/\s+/) : [];
  if (tokens.includes(want)) return query.trim();
  const kept = tokens.filter((t) => t !== other).join(" ");
  if (!kept) return want;
  // `a OR b` then a term would read as `a OR (b AND term)`: the existing text goes in parentheses.
  const unquoted = kept.replace(/"(?:[^"\\]|\\.)*"?/g, '""');
  const hasOr = /(^|[\s)])or(?=[\s(]|$)/i.test(unquoted);
  return hasOr ? `(${kept}) ${want}` : `${kept} ${want}`;
}

/**
 * What a count rule would have counted in each of its last `n` windows (oldest first): the stats
 * endpoint's counts in buckets of the rule's window, over the query in the language.
 */
export async function windowCounts(
  query: string,
  windowMinutes: number,
  n: number,
  now = Date.now(),
): Promise<{ start: number; count: number }[]> {
  const ms = windowMinutes * 60_000;
  const p = new URLSearchParams();
  if (query.trim()) p.set("query", query.trim());
  p.set("start_time", new Date(now - n * ms).toISOString());
  p.set("end_time", new Date(now).toISOString());
  p.set("interval", `${windowMinutes}m`);
  const stats = await api<Stats>(`/api/v1/logs/stats?${p}`);
  return stats.buckets
    .filter((b) => b.start)
    .map((b) => ({ start: Date.parse(b.start!), count: b.values.count ?? 0 }))
    .sort((a, b) => a.start - b.start);
}
