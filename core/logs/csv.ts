import type { LogEvent } from "../log-event.ts";

/** The columns of a CSV export, in order; attributes as JSON in one column. */
export const CSV_COLUMNS = [
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

/** The CSV header line (RFC 4180, CRLF-terminated). */
export const CSV_HEADER = `${CSV_COLUMNS.join(",")}\r\n`;

/** One log as a CSV line (CRLF-terminated). */
export function csvLine(log: LogEvent): string {
  const rec = log as unknown as Record<string, unknown>;
  return `${CSV_COLUMNS.map((c) => csvCell(rec[c])).join(",")}\r\n`;
}

/** RFC 4180 CSV, one row per log, attributes as JSON in one column. */
export function toCsv(logs: LogEvent[]): string {
  return CSV_HEADER + logs.map(csvLine).join("");
}
