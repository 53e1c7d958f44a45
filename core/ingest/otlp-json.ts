import { type DecodedItem, type DecodeOptions, millisOfNanos, parseJsonBody, tooMany } from "./decoded.ts";
import type { Fields } from "./mapping.ts";
import { MAX_ANY_DEPTH, mapLog, type OtlpLog, type OtlpResult, type OtlpScope } from "./otlp.ts";
import { hexOf, ProtoError } from "./protobuf.ts";

// The OTLP/JSON mapping: camelCase, int64 as strings or numbers, trace and span ids as hex.

/** Decode an OTLP/HTTP JSON body (snake_case names are read too, as protobuf's JSON mapping allows). */
export function decodeOtlpJson(text: string, options: DecodeOptions): OtlpResult {
  const body = parseJsonBody(text);
  if (!body.ok) return body;
  const resourceLogs = field(body.value, "resourceLogs", "resource_logs");
  if (!Array.isArray(resourceLogs)) {
    return { ok: false, code: "BAD_REQUEST", error: "resourceLogs: expected an array of resource logs" };
  }
  const items: DecodedItem[] = [];
  for (const rl of resourceLogs) {
    const resource = attributesOf(field(field(rl, "resource"), "attributes"), 0);
    const scopeLogs = field(rl, "scopeLogs", "scope_logs");
    if (!Array.isArray(scopeLogs)) continue;
    for (const sl of scopeLogs) {
      const s = field(sl, "scope");
      const scope: OtlpScope = {
        name: text0(field(s, "name")),
        version: text0(field(s, "version")),
        attributes: attributesOf(field(s, "attributes"), 0),
      };
      const records = field(sl, "logRecords", "log_records");
      if (!Array.isArray(records)) continue;
      for (const raw of records) {
        if (items.length >= options.maxEvents)
          return tooMany(options.maxEvents, "log records in one request");
        items.push(jsonRecord(raw, scope, resource, options));
      }
    }
  }
  return { ok: true, items };
}

function jsonRecord(raw: unknown, scope: OtlpScope, resource: Fields, options: DecodeOptions): DecodedItem {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return { ok: false, error: "log record: expected an object" };
  }
  try {
    const log: OtlpLog = {
      timeMs: nanosToMs(field(raw, "timeUnixNano", "time_unix_nano")),
      observedMs: nanosToMs(field(raw, "observedTimeUnixNano", "observed_time_unix_nano")),
      severityNumber: severityNumberOf(field(raw, "severityNumber", "severity_number")),
      severityText: text0(field(raw, "severityText", "severity_text")),
      body: anyValueOf(field(raw, "body"), 0),
      attributes: attributesOf(field(raw, "attributes"), 0),
      eventName: text0(field(raw, "eventName", "event_name")),
      traceId: idOf(field(raw, "traceId", "trace_id")),
      spanId: idOf(field(raw, "spanId", "span_id")),
    };
    return mapLog(log, scope, resource, options);
  } catch (err) {
    if (!(err instanceof ProtoError)) throw err;
    return { ok: false, error: `malformed log record: ${err.message}` };
  }
}

function field(value: unknown, name: string, alias?: string): unknown {
  if (value === null || typeof value !== "object") return undefined;
  const o = value as Record<string, unknown>;
  const v = Object.hasOwn(o, name) ? o[name] : undefined;
  return v !== undefined || alias === undefined ? v : Object.hasOwn(o, alias) ? o[alias] : undefined;
}

function text0(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** int64 nanoseconds, as text or a number, to milliseconds to the microsecond; 0 when absent or unreadable. */
function nanosToMs(value: unknown): number {
  if (typeof value === "number")
    return Number.isFinite(value) && value > 0 ? Math.floor(value / 1e3) / 1e3 : 0;
  return typeof value === "string" ? (millisOfNanos(value) ?? 0) : 0;
}

const SEVERITY_NAMES = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];

/** A number, its text, or the enum's name (SEVERITY_NUMBER_WARN2), which lenient senders use. */
function severityNumberOf(value: unknown): number {
  if (typeof value === "number") return Number.isInteger(value) ? value : 0;
  if (typeof value !== "string") return 0;
  if (/^\d{1,2}$/.test(value)) return Number(value);
  const m = /^SEVERITY_NUMBER_([A-Z]+)([234])?$/.exec(value);
  const base = m ? SEVERITY_NAMES.indexOf(m[1]!) : -1;
  return base < 0 ? 0 : base * 4 + 1 + (m![2] ? Number(m![2]) - 1 : 0);
}

/** Trace and span ids are hex in OTLP/JSON; base64 from older senders is turned into hex. */
function idOf(value: unknown): string {
  if (typeof value !== "string" || value === "") return "";
  if (/^[0-9a-fA-F]+$/.test(value) && value.length % 2 === 0) {
    return /^0+$/.test(value) ? "" : value.toLowerCase();
  }
  try {
    return hexOf(Uint8Array.from(atob(value), (c) => c.charCodeAt(0)));
  } catch {
    return value;
  }
}

function attributesOf(list: unknown, depth: number): Fields {
  const out: Fields = Object.create(null);
  if (!Array.isArray(list)) return out;
  for (const kv of list) {
    const key = field(kv, "key");
    if (typeof key !== "string" || key in out) continue;
    const value = anyValueOf(field(kv, "value"), depth + 1);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function anyValueOf(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== "object") return undefined;
  if (depth > MAX_ANY_DEPTH) throw new ProtoError(`values nested deeper than ${MAX_ANY_DEPTH}`);
  const v = value as Record<string, unknown>;
  const s = field(v, "stringValue", "string_value");
  if (typeof s === "string") return s;
  const b = field(v, "boolValue", "bool_value");
  if (typeof b === "boolean") return b;
  const i = field(v, "intValue", "int_value");
  if (typeof i === "number") return i;
  if (typeof i === "string" && /^-?\d{1,20}$/.test(i)) {
    const n = Number(i);
    return Number.isSafeInteger(n) ? n : i;
  }
  const d = field(v, "doubleValue", "double_value");
  if (typeof d === "number") return d;
  if (typeof d === "string") return d; // "NaN", "Infinity": kept as text
  const arr = field(field(v, "arrayValue", "array_value"), "values");
  if (Array.isArray(arr)) return arr.map((x) => anyValueOf(x, depth + 1) ?? null);
  const kv = field(v, "kvlistValue", "kvlist_value");
  if (kv !== undefined) return attributesOf(field(kv, "values"), depth);
  const bytes = field(v, "bytesValue", "bytes_value");
  if (typeof bytes === "string") return bytes;
  return undefined;
}
