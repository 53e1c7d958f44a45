import type { Level } from "../../../core/level.ts";
import type { LogEvent } from "../../../core/log-event.ts";
import type { LogContext, LogSearchResult } from "../../../core/logs/schema.ts";
import { api } from "./api.ts";

export type { Level, LogContext, LogEvent };

export const LEVELS: Level[] = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];

/** Explore's preset ranges; any relative range (`30m`, `now-2h`, `3d`) works too, `custom` uses from/to. */
export const RANGES = ["5m", "15m", "1h", "6h", "24h", "7d", "30d", "custom"] as const;
/** A relative range ("15m", "2h", "3d") or "custom" (explicit from/to). */
export type Range = string;

const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};
/** The longest relative range accepted (retention keeps less anyway). */
const MAX_RANGE_MS = 400 * 86_400_000;

/**
 * A typed relative range as the URL keeps it: `30m`, `now-2h`, ` 2 H ` → `30m`, `2h`, `2h`; null when it
 * is not one (units s, m, h, d, w; at least a second, at most 400 days).
 */
export function normalizeRange(text: string): string | null {
  const m = /^\s*(?:now\s*-\s*)?(\d{1,6})\s*([smhdw])\s*$/i.exec(text);
  if (!m) return null;
  const unit = m[2]!.toLowerCase();
  const ms = Number(m[1]) * UNIT_MS[unit]!;
  return ms >= 1_000 && ms <= MAX_RANGE_MS ? `${Number(m[1])}${unit}` : null;
}

/** A relative range's length in ms (null for `custom` or anything unreadable). */
export function rangeMs(range: string): number | null {
  const r = normalizeRange(range);
  return r === null ? null : Number(r.slice(0, -1)) * UNIT_MS[r.slice(-1)]!;
}

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

const CSV_COLUMNS = [
  "timestamp",
  "level",
  "service",
  "message",
  "host",
  "correlation_id",
  "request_id",
  "trace_id",
  "span_id",
  "id",
  "attributes",
] as const;

function csvCell(v: unknown): string {
  let s = v === null || v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v);
  // A cell starting with = + - @ is a formula to spreadsheets; a leading quote keeps it text.
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** RFC 4180 CSV, one row per log, attributes as JSON in one column. */
export function toCsv(logs: LogEvent[]): string {
  const rows = [CSV_COLUMNS.join(",")];
  for (const log of logs) {
    const rec = log as unknown as Record<string, unknown>;
    rows.push(CSV_COLUMNS.map((c) => csvCell(rec[c])).join(","));
  }
  return `${rows.join("\r\n")}\r\n`;
}

export function toJson(logs: LogEvent[]): string {
  return `${JSON.stringify(logs, null, 2)}\n`;
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
