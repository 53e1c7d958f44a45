import type { Fragment, Sql } from "postgres";
import type { Level } from "../../level.ts";
import { formatEventTime, idsOf, type LogEvent } from "../../log-event.ts";

/** A row of `logs` as postgres.js reads it. */
export interface LogRow {
  id: string;
  ts: Date;
  received_at: Date;
  service: string;
  level: Level;
  message: string;
  host: string | null;
  correlation_id: string | null;
  request_id: string | null;
  trace_id: string | null;
  span_id: string | null;
  attributes: Record<string, string | number | boolean> | null;
  pattern: string | null;
  /** The microseconds of `ts` within its second: the driver's Date keeps only the millisecond. */
  ts_us: number;
}

/** The columns of a LogRow, for `select`. */
export function logColumns(sql: Sql): Fragment {
  return sql`id, ts, received_at, service, level, message, host, correlation_id, request_id, trace_id,
    span_id, attributes, pattern, extract(microseconds from ts)::int as ts_us`;
}

/** A row of `logs` as the writer sends it (jsonb_to_recordset's column list names the same keys). */
export type StoredRow = Omit<LogRow, "ts" | "received_at" | "attributes" | "ts_us"> & {
  ts: string;
  received_at: string;
  attributes: LogEvent["attributes"];
  /** The full-text column in tsvector input syntax (core/search-text.ts). */
  search: string;
};

export function toEvent(r: LogRow): LogEvent {
  const e: LogEvent = {
    id: r.id,
    // The driver's Date cuts the microseconds (never rounds up): they come back beside it.
    timestamp: formatEventTime(new Date(r.ts).getTime() + ((r.ts_us ?? 0) % 1000) / 1000),
    received_at: new Date(r.received_at).toISOString(),
    service: r.service,
    level: r.level,
    message: r.message,
    ...idsOf(r),
    attributes: r.attributes ?? {},
  };
  if (r.pattern) e.pattern = r.pattern;
  return e;
}

/**
 * JSON.stringify's escapes for U+0000 and for a lone surrogate (a pair is written as itself), which
 * Postgres refuses; a literal backslash before "u0000" also matches, which only costs a second pass.
 */
export const UNSTORABLE_ESCAPE = /\\u(?:0000|d[89a-f])/i;

/**
 * Postgres text cannot hold U+0000, nor half a surrogate pair; both become U+FFFD, as a lone surrogate
 * already did when the driver encoded text as UTF-8.
 */
export function storable(s: string): string {
  return s.replaceAll("\u0000", "\uFFFD").toWellFormed();
}

function storableOrNull(s: string | null): string | null {
  return s === null ? null : storable(s);
}

/** The row with every text made storable: the writer's second pass over a part that needs it. */
export function storableRow(r: StoredRow): StoredRow {
  const attributes: LogEvent["attributes"] = {};
  for (const [k, v] of Object.entries(r.attributes))
    attributes[storable(k)] = typeof v === "string" ? storable(v) : v;
  return {
    ...r,
    service: storable(r.service),
    message: storable(r.message),
    host: storableOrNull(r.host),
    correlation_id: storableOrNull(r.correlation_id),
    request_id: storableOrNull(r.request_id),
    trace_id: storableOrNull(r.trace_id),
    span_id: storableOrNull(r.span_id),
    attributes,
  };
}
