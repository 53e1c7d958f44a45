import { boundedJson } from "../bounded-json.ts";
import { type Level, levelFromOtel, levelFromPino, normalizeLevel } from "../level.ts";
import { type EventLimits, type LogEventInput, parseTimestamp } from "../log-event.ts";

/** Named fields of a record as a shipper sent them (JSON values). */
export type Fields = Record<string, unknown>;
type Scalar = string | number | boolean;

/**
 * One record from any shipper, as its decoder hands it over: the named fields it carries, and what the
 * protocol itself says beside them. Every protocol goes through `mapRecord`, so a field means the same
 * thing whichever way it arrived (the table is in MAPPING.md).
 */
export interface ShipperRecord {
  /**
   * Named fields, most specific layer first: a JSON line's own fields, then structured metadata, then
   * stream labels; an OpenTelemetry record's attributes, then its scope's, then its resource's. Nested
   * objects are read by dotted names (`{service: {name}}` is `service.name`). Where two layers carry one
   * name, the first layer's value is kept and the other dropped.
   */
  fields?: Fields[];
  /**
   * The line the protocol carried (a Loki line, a syslog MSG, a plain line, an OpenTelemetry string
   * body). A line that is a JSON object is read as the record's most specific layer of fields; otherwise,
   * or when that object names no message, the line is the message.
   */
  line?: string;
  /** Used as the message when neither a field nor the line gives one (an Elasticsearch document's text). */
  fallbackMessage?: string;
  /** The service when no field names one: the Elasticsearch index, the syslog APP-NAME, the caller's. */
  service?: string;
  /** The protocol's own severity, ranked after every level field. */
  syslogSeverity?: number;
  otelSeverity?: number;
  /** The protocol's own time in epoch milliseconds, ranked after every time field. */
  timestamp?: number;
  host?: string;
  traceId?: string;
  spanId?: string;
  /** Attributes the protocol adds (syslog facility, OpenTelemetry scope), below the fields' own. */
  attributes?: Record<string, Scalar>;
}

export type MapResult = { ok: true; input: LogEventInput } | { ok: false; error: string };

/** Where each part of an event is looked for, first present first. */
export const SERVICE_FIELDS = ["service.name", "service_name", "service", "app", "application", "job"];
export const LEVEL_FIELDS = ["level", "severity", "severity_text", "log.level", "lvl"];
export const MESSAGE_FIELDS = ["message", "msg", "log", "body"];
export const TIMESTAMP_FIELDS = ["@timestamp", "timestamp", "time", "ts"];
const ID_FIELDS = {
  host: ["host", "host.name", "hostname"],
  trace_id: ["trace_id", "traceId", "trace.id"],
  span_id: ["span_id", "spanId", "span.id"],
  correlation_id: ["correlation_id", "correlationId"],
  request_id: ["request_id", "requestId"],
} as const;
const ID_FIELD_NAMES = Object.keys(ID_FIELDS) as (keyof typeof ID_FIELDS)[];

/** The attribute naming what `mapRecord` cut to fit the limits, so a shortened event says so. */
export const TRUNCATED_ATTRIBUTE = "logflow.truncated";
const MAX_SERVICE_CHARS = 128;
const MAX_KEY_CHARS = 128;
const MAX_ID_CHARS = 256;
/** Objects nested deeper than this are kept as JSON text in one attribute (as for native ingest). */
const MAX_DEPTH = 4;

/**
 * Map one shipper's record to a LogFlow event input. Never throws. What does not fit today's limits
 * is cut rather than refused (a shipper cannot reshape its records): a message or attribute value
 * longer than allowed is shortened, attributes past the allowed count are dropped, and the event
 * carries `logflow.truncated` saying what was cut. The result still goes through `parseLogEvent`, which
 * judges the time (retention, clock skew) and mints the id.
 */
export function mapRecord(record: ShipperRecord, limits: EventLimits): MapResult {
  // Room for every attribute the limit allows, plus the names read as service, level, ...; a record
  // with more fields than that only has them counted, so hostile records cost bounded memory.
  const budget: Budget = {
    left: limits.maxAttributes + 32,
    dropped: 0,
    maxJsonChars: limits.maxAttributeValueChars + 1,
  };
  // A Map, not an object: fields read as service, level, … are deleted from it, which would turn an
  // object into a slow dictionary on every event.
  const merged: Merged = new Map();
  let line = record.line;
  if (line !== undefined) {
    const object = jsonObjectIn(line);
    if (object) {
      flattenInto(merged, object, "", 0, budget);
      line = undefined;
      if (!hasAny(merged, MESSAGE_FIELDS)) line = record.line;
    }
  }
  for (const layer of record.fields ?? []) flattenInto(merged, layer, "", 0, budget);

  const cut: string[] = [];
  let service =
    takeText(merged, SERVICE_FIELDS, Number.POSITIVE_INFINITY)?.trim() ??
    textOrNull(record.service) ??
    "unknown";
  if (service.length > MAX_SERVICE_CHARS) service = service.slice(0, MAX_SERVICE_CHARS);

  let message =
    takeText(merged, MESSAGE_FIELDS, Number.POSITIVE_INFINITY) ??
    (line === "" ? undefined : line) ??
    record.fallbackMessage;
  if (message === undefined || message === "") {
    return { ok: false, error: `message: none of ${MESSAGE_FIELDS.join(", ")} is present` };
  }
  if (message.length > limits.maxMessageChars) {
    message = `${message.slice(0, limits.maxMessageChars - 1)}…`;
    cut.push("message");
  }

  const input: LogEventInput = { service, level: takeLevel(merged, record), message };
  const timestamp = takeTimestamp(merged) ?? record.timestamp;
  if (timestamp !== undefined) input.timestamp = timestamp;
  for (const field of ID_FIELD_NAMES) {
    const value = takeText(merged, ID_FIELDS[field], MAX_ID_CHARS)?.trim();
    if (value !== undefined) input[field] = value;
  }
  input.host ??= textOrNull(record.host)?.slice(0, MAX_ID_CHARS);
  input.trace_id ??= textOrNull(record.traceId)?.slice(0, MAX_ID_CHARS);
  input.span_id ??= textOrNull(record.spanId)?.slice(0, MAX_ID_CHARS);
  for (const k of ["host", "trace_id", "span_id"] as const) if (input[k] === undefined) delete input[k];

  input.attributes = attributesOf(merged, record.attributes, limits, budget.dropped, cut);
  return { ok: true, input };
}

/** The JSON object a line holds, or null: only text that starts with `{` and ends with `}` is tried. */
export function jsonObjectIn(line: string): Fields | null {
  let start = 0;
  let end = line.length - 1;
  while (start <= end && isSpace(line.charCodeAt(start))) start++;
  while (end > start && isSpace(line.charCodeAt(end))) end--;
  if (line.charCodeAt(start) !== 0x7b || line.charCodeAt(end) !== 0x7d) return null;
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Fields) : null;
  } catch {
    return null;
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

interface Budget {
  /** Names still to be kept; past them, leaves are only counted as dropped. */
  left: number;
  dropped: number;
  /** Nested data kept as JSON text is written no longer than this (one past the value limit, so it is seen as cut). */
  maxJsonChars: number;
}

type Merged = Map<string, unknown>;

/** Copy `value`'s leaves into `out` under dotted names, keeping names `out` already has. */
function flattenInto(out: Merged, value: Fields, prefix: string, depth: number, budget: Budget): void {
  for (const k in value) {
    if (!Object.hasOwn(value, k)) continue;
    const v = value[k];
    if (v === null || v === undefined) continue;
    const name = prefix === "" ? k : `${prefix}.${k}`;
    if (typeof v === "object" && !Array.isArray(v) && depth < MAX_DEPTH) {
      flattenInto(out, v as Fields, name, depth + 1, budget);
      continue;
    }
    if (out.has(name)) continue;
    if (budget.left <= 0 || name === "" || name.length > MAX_KEY_CHARS || name === "__proto__") {
      budget.dropped++;
      continue;
    }
    budget.left--;
    out.set(name, typeof v === "object" ? boundedJson(v, budget.maxJsonChars) : v);
  }
}

function hasAny(fields: Merged, names: readonly string[]): boolean {
  for (const n of names) if (textOf(fields.get(n)) !== null) return true;
  return false;
}

function textOf(value: unknown): string | null {
  if (typeof value === "string") return value.trim() === "" ? null : value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return null;
}

function textOrNull(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const t = value.trim();
  return t === "" ? undefined : t;
}

/** The first named field that is non-blank text (or a number) within `maxChars`, removed from `fields`. */
function takeText(fields: Merged, names: readonly string[], maxChars: number): string | undefined {
  for (const n of names) {
    const text = textOf(fields.get(n));
    if (text === null) continue;
    if (text.length > maxChars) continue;
    fields.delete(n);
    return text;
  }
  return undefined;
}

/** The first level field that names a level (removed); unknown ones stay as attributes. Else the protocol's, else INFO. */
function takeLevel(fields: Merged, record: ShipperRecord): Level {
  for (const n of LEVEL_FIELDS) {
    const v = fields.get(n);
    if (v === undefined) continue;
    const level = shipperLevel(v);
    if (level !== null) {
      fields.delete(n);
      return level;
    }
  }
  if (record.syslogSeverity !== undefined) {
    const level = normalizeLevel(record.syslogSeverity);
    if (level !== null) return level;
  }
  if (record.otelSeverity !== undefined) {
    const level = levelFromOtel(record.otelSeverity);
    if (level !== null) return level;
  }
  return "INFO";
}

/** A level as shippers write it: names, syslog 0–7, pino's 10–60 (also as text), else OpenTelemetry's 1–24. */
function shipperLevel(value: unknown): Level | null {
  const n = typeof value === "string" && /^\s*\d{2}\s*$/.test(value) ? Number(value) : value;
  if (typeof n === "number") return levelFromPino(n) ?? normalizeLevel(n);
  return normalizeLevel(value);
}

function takeTimestamp(fields: Merged): number | undefined {
  for (const n of TIMESTAMP_FIELDS) {
    const v = fields.get(n);
    if (typeof v !== "string" && typeof v !== "number") continue;
    const ms = parseTimestamp(v);
    if (ms === null) continue; // unreadable: kept as an attribute
    fields.delete(n);
    return ms;
  }
  return undefined;
}

function attributesOf(
  fields: Merged,
  extra: Record<string, Scalar> | undefined,
  limits: EventLimits,
  droppedBefore: number,
  cut: string[],
): Record<string, Scalar> {
  const out: Record<string, Scalar> = {};
  const max = limits.maxAttributes;
  let last = "";
  let count = 0;
  let dropped = droppedBefore;
  let shortened = 0;
  const add = (k: string, v: unknown) => {
    if (Object.hasOwn(out, k)) return;
    let value: Scalar;
    if (typeof v === "string") {
      value = v;
      if (v.length > limits.maxAttributeValueChars) {
        value = `${v.slice(0, limits.maxAttributeValueChars - 1)}…`;
        shortened++;
      }
    } else if (typeof v === "number") value = Number.isFinite(v) ? v : String(v);
    else if (typeof v === "boolean") value = v;
    else return;
    if (count >= max) {
      dropped++;
      return;
    }
    out[k] = value;
    last = k;
    count++;
  };
  for (const [k, v] of fields) add(k, v);
  if (extra) for (const k in extra) if (Object.hasOwn(extra, k)) add(k, extra[k]);
  const noted = cut.length > 0 || dropped > 0 || shortened > 0;
  if (noted && count >= max && max > 0) {
    // The note on what was cut takes the last place.
    delete out[last];
    dropped++;
  }
  if (dropped > 0) cut.push(`${dropped} attributes dropped`);
  if (shortened > 0) cut.push(`${shortened} attribute values shortened`);
  if (noted && max > 0) out[TRUNCATED_ATTRIBUTE] = cut.join("; ");
  return out;
}
