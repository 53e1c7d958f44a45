import { parseTimestamp } from "../log-event.ts";
import { type DecodedItem, type DecodeFailure, type DecodeOptions, LineReader, tooMany } from "./decoded.ts";
import { mapRecord, type ShipperRecord } from "./mapping.ts";

export interface PlainLinesOptions extends DecodeOptions {
  /** The service of lines that do not name one (the request's `service` parameter or header). */
  service?: string;
  /** The time of the request: the year of BSD-style times that carry none. */
  now: number;
}

const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

/**
 * `text/plain` ingest: one event per non-blank line. A line that is a JSON object is read as an event;
 * otherwise the whole line is the message, and its time and level are taken from where common formats
 * put them: Apache/nginx access lines (the time in brackets, the level from the status: 5xx ERROR, 4xx
 * WARNING), an ISO-8601 or `2026/11/29 10:00:00` time at the start (nginx's error log), a BSD syslog
 * time at the start, and a level word (`ERROR`, `WARN`, …, or any case as `[error]` / `level=error`).
 * What no format shows is now and INFO.
 */
export function decodePlainLines(
  text: string,
  options: PlainLinesOptions,
): { ok: true; items: DecodedItem[] } | DecodeFailure {
  const items: DecodedItem[] = [];
  const lines = new LineReader(text);
  for (let line = lines.next(); line !== null; line = lines.next()) {
    if (line.trim() === "") continue;
    if (items.length >= options.maxEvents) {
      return tooMany(options.maxEvents, "lines in one request");
    }
    items.push(mapRecord(plainRecord(line, options), options.limits));
  }
  return { ok: true, items };
}

function plainRecord(line: string, options: PlainLinesOptions): ShipperRecord {
  const record: ShipperRecord = { line };
  if (options.service !== undefined) record.service = options.service;
  const access = accessLine(line);
  if (access) {
    Object.assign(record, access);
    return record;
  }
  const head = line.slice(0, 160);
  const time = leadingTime(head, options.now);
  if (time !== null) record.timestamp = time;
  const level = levelWord(head);
  if (level !== null) record.fields = [{ level }];
  return record;
}

// Combined and common log formats: host ident user [time] "request" status bytes "referer" "agent".
const ACCESS =
  /^(\S+) \S+ (\S+) \[(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-]\d{4})\] "([A-Z]+) (\S+)[^"]*" (\d{3}) (\d+|-)(?: "([^"]*)" "([^"]*)")?/;

function accessLine(line: string): Partial<ShipperRecord> | null {
  const m = ACCESS.exec(line);
  if (!m) return null;
  const [, client, user, day, month, year, hh, mm, ss, zone, method, path, status, size, referer, agent] = m;
  const offset =
    (zone![0] === "-" ? -1 : 1) * (Number(zone!.slice(1, 3)) * 60 + Number(zone!.slice(3))) * 60_000;
  const utc =
    Date.UTC(Number(year), MONTHS[month!] ?? 0, Number(day), Number(hh), Number(mm), Number(ss)) - offset;
  const code = Number(status);
  const attributes: Record<string, string | number> = {
    "client.address": client!,
    "http.request.method": method!,
    "url.path": path!,
    "http.response.status_code": code,
  };
  if (size !== "-") attributes["http.response.body.size"] = Number(size);
  if (user !== "-") attributes["user.name"] = user!;
  if (referer !== undefined && referer !== "-") attributes["http.request.header.referer"] = referer;
  if (agent !== undefined && agent !== "-") attributes["user_agent.original"] = agent;
  return {
    timestamp: utc,
    fields: [{ level: code >= 500 ? "ERROR" : code >= 400 ? "WARNING" : "INFO" }],
    attributes,
  };
}

const ISO_START = /^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?)/;
const SLASH_START = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})/;
const BSD_START = /^([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2})/;

/** A time at the start of the line, in UTC when the line gives no zone; null when there is none. */
function leadingTime(head: string, now: number): number | null {
  const iso = ISO_START.exec(head);
  if (iso) {
    let text = iso[1]!.replace(" ", "T").replace(",", ".");
    if (!/(Z|[+-]\d{2}:?\d{2})$/.test(text)) text += "Z";
    return parseTimestamp(text);
  }
  const slash = SLASH_START.exec(head);
  if (slash) {
    const [, y, mo, d, h, mi, s] = slash.map(Number);
    const ms = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
    return Number.isFinite(ms) ? ms : null;
  }
  const bsd = BSD_START.exec(head);
  if (bsd && MONTHS[bsd[1]!] !== undefined) {
    const at = (year: number) =>
      Date.UTC(
        year,
        MONTHS[bsd[1]!]!,
        Number(bsd[2]!.trim()),
        Number(bsd[3]),
        Number(bsd[4]),
        Number(bsd[5]),
      );
    const year = new Date(now).getUTCFullYear();
    return at(year) > now + 86_400_000 ? at(year - 1) : at(year);
  }
  return null;
}

const LEVEL_UPPER =
  /\b(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|CRIT|CRITICAL|FATAL|ALERT|EMERG|PANIC)\b/;
const LEVEL_MARKED =
  /(?:\[|\blevel=|\blvl=|\bseverity=)"?(trace|debug|info|notice|warn|warning|error|err|crit|critical|fatal|alert|emerg|panic)\b/i;

/** The first level word the line shows: UPPERCASE anywhere near the start, or any case in [] or level=. */
function levelWord(head: string): string | null {
  const marked = LEVEL_MARKED.exec(head);
  const upper = LEVEL_UPPER.exec(head);
  if (marked && (!upper || marked.index <= upper.index)) return marked[1]!;
  return upper ? upper[1]! : null;
}
