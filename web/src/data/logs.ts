import { normalizeRange, rangeMs } from "../../../common/ranges.ts";
import type { Level } from "../../../core/level.ts";
import type { LogEvent } from "../../../core/log-event.ts";
import type { LogContext, LogSearchResult } from "../../../core/logs/schema.ts";
import { api, apiStream } from "./api.ts";

export type { Level, LogContext, LogEvent };

export const LEVELS: Level[] = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];

/** Explore's preset ranges; any relative range (`30m`, `now-2h`, `3d`) works too, `custom` uses from/to. */
export const RANGES = ["5m", "15m", "1h", "6h", "24h", "7d", "30d", "custom"] as const;
/** A relative range ("15m", "2h", "3d") or "custom" (explicit from/to). */
export type Range = string;

/** Read once with core's saved searches (common/ranges.ts). */
export { normalizeRange, rangeMs };

/** Explore's filters: exactly what its URL holds. */
export interface LogQuery {
  q: string;
  services: string[];
  levels: Level[];
  range: Range;
  /** ISO instants, for the custom range. */
  from?: string;
  to?: string;
}

function list(v: string | undefined): string[] {
  return (v ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Explore's URL → filters; anything unreadable falls back to the defaults. */
export function parseLogQuery(params: Record<string, string>): LogQuery {
  const range = params.range === "custom" ? "custom" : (normalizeRange(params.range ?? "") ?? "1h");
  const levels = list(params.level)
    .map((l) => l.toUpperCase())
    .filter((l): l is Level => (LEVELS as string[]).includes(l));
  return {
    q: params.q ?? "",
    services: list(params.service),
    levels,
    range,
    from: range === "custom" ? params.from : undefined,
    to: range === "custom" ? params.to : undefined,
  };
}

/** Filters → URL parameters (the inverse of parseLogQuery). */
export function logQueryParams(q: LogQuery): Record<string, string | undefined> {
  return {
    q: q.q || undefined,
    service: q.services.join(",") || undefined,
    level: q.levels.join(",") || undefined,
    range: q.range === "1h" ? undefined : q.range,
    from: q.range === "custom" ? q.from : undefined,
    to: q.range === "custom" ? q.to : undefined,
  };
}

/** The absolute window a search covers, fixed when the search starts so later pages agree with the first. */
export function windowOf(q: LogQuery, now = Date.now()): { from?: number; to?: number } {
  if (q.range === "custom") {
    const from = q.from ? Date.parse(q.from) : Number.NaN;
    const to = q.to ? Date.parse(q.to) : Number.NaN;
    return { from: Number.isNaN(from) ? undefined : from, to: Number.isNaN(to) ? undefined : to };
  }
  return { from: now - (rangeMs(q.range) ?? 3_600_000) };
}

export function searchParams(
  q: LogQuery,
  w: { from?: number; to?: number },
  extra: { limit?: number; cursor?: string | null } = {},
): URLSearchParams {
  const p = new URLSearchParams();
  if (q.q.trim()) p.set("query", q.q.trim());
  for (const s of q.services) p.append("service", s);
  if (q.levels.length) p.set("level", q.levels.join(","));
  if (w.from !== undefined) p.set("start_time", new Date(w.from).toISOString());
  if (w.to !== undefined) p.set("end_time", new Date(w.to).toISOString());
  p.set("limit", String(extra.limit ?? 100));
  if (extra.cursor) p.set("cursor", extra.cursor);
  return p;
}

export function searchLogs(params: URLSearchParams, signal?: AbortSignal): Promise<LogSearchResult> {
  return api<LogSearchResult>(`/api/v1/logs/search?${params}`, { signal });
}

export function getLog(id: string): Promise<LogEvent> {
  return api<LogEvent>(`/api/v1/logs/${encodeURIComponent(id)}`);
}

/** The lines of the same service just before and after one log, oldest first (like grep -C). */
export function logContext(id: string, n: number): Promise<LogContext> {
  return api<LogContext>(`/api/v1/logs/${encodeURIComponent(id)}/context?before=${n}&after=${n}`);
}

/** The API's export cap (EXPORT_MAX_ROWS in edge-api/logs/export.ts). */
export const EXPORT_CAP = 100_000;

/** What an export brought: the file, the lines matching, and whether the file stops short of them. */
export interface Exported {
  blob: Blob;
  filename: string;
  total: number;
  truncated: boolean;
}

/**
 * Every line the filters match in the window (not only those loaded), from GET /api/v1/logs/export:
 * CSV or NDJSON, up to the API's cap (100,000), which the file and `truncated` then say.
 */
export async function exportLogs(q: LogQuery, w: { from?: number; to?: number }, format: "csv" | "ndjson") {
  const p = searchParams(q, w);
  p.delete("limit");
  p.set("format", format);
  const res = await apiStream(`/api/v1/logs/export?${p}`, {
    headers: { accept: format === "csv" ? "text/csv" : "application/x-ndjson" },
  });
  const blob = await res.blob();
  const name = /filename="([^"]+)"/.exec(res.headers.get("content-disposition") ?? "")?.[1];
  return {
    blob,
    filename: name ?? `logflow.${format}`,
    total: Number(res.headers.get("x-export-total") ?? 0),
    truncated: res.headers.get("x-export-truncated") === "true",
  } satisfies Exported;
}

/** A value of a `field:` term, quoted (the query language's quoting: `\"` and `\\` inside). */
function quoted(v: string): string {
  return `"${v.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/**
 * Explore's filters as one text in the query language (what the live tail takes): the services and
 * levels as field terms, and the search box's text in parentheses, with a quote left open closed.
 */
export function filtersAsQuery(q: LogQuery): string {
  const parts: string[] = [];
  if (q.services.length) parts.push(`service:(${q.services.map(quoted).join(" OR ")})`);
  if (q.levels.length) parts.push(`level:(${q.levels.join(" OR ")})`);
  let text = q.q.trim();
  if (text) {
    const quotes = text.replaceAll(/\\./g, "").split('"').length - 1;
    if (quotes % 2 === 1) text += '"';
    parts.push(parts.length ? `(${text})` : text);
  }
  return parts.join(" ");
}
