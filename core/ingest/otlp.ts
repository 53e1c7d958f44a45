import { boundedJson } from "../bounded-json.ts";
import {
  type DecodedItem,
  type DecodeFailure,
  type DecodeOptions,
  millisOfNanos,
  parseJsonBody,
  tooMany,
} from "./decoded.ts";
import { type Fields, mapRecord, type ShipperRecord } from "./mapping.ts";
import {
  base64Of,
  eachMessage,
  hexOf,
  ProtoError,
  ProtoReader,
  ProtoWriter,
  WIRE_I64,
  WIRE_LEN,
} from "./protobuf.ts";

/** Values nested deeper than this in one OTLP AnyValue fail their record. */
const MAX_ANY_DEPTH = 32;

/** One log record as both encodings carry it, before mapping. */
interface OtlpLog {
  timeMs: number;
  observedMs: number;
  severityNumber: number;
  severityText: string;
  body: unknown;
  attributes: Fields;
  eventName: string;
  traceId: string;
  spanId: string;
}

interface OtlpScope {
  name: string;
  version: string;
  attributes: Fields;
}

export type OtlpResult = { ok: true; items: DecodedItem[] } | DecodeFailure;

/**
 * Map one OTLP log record: its attributes, then its scope's, then its resource's are the fields
 * (so `service.name` comes from the resource unless the record overrides it); `severityText` ranks as
 * `severity_text` and `severityNumber` after it; the body is the line when it is text, the most
 * specific fields when it is a map; the time is `timeUnixNano`, else `observedTimeUnixNano`, else now.
 */
function mapLog(log: OtlpLog, scope: OtlpScope, resource: Fields, options: DecodeOptions): DecodedItem {
  const own: Fields = log.attributes;
  if (log.severityText !== "" && !("severity_text" in own)) own.severity_text = log.severityText;
  if (log.eventName !== "" && !("event.name" in own)) own["event.name"] = log.eventName;
  const record: ShipperRecord = { fields: [own, scope.attributes, resource] };
  const body = log.body;
  if (typeof body === "string") record.line = body;
  else if (body !== null && typeof body === "object" && !Array.isArray(body)) {
    record.fields = [body as Fields, own, scope.attributes, resource];
    record.fallbackMessage = boundedJson(body, options.limits.maxMessageChars + 1);
  } else if (body !== undefined && body !== null) {
    record.line =
      typeof body === "object" ? boundedJson(body, options.limits.maxMessageChars + 1) : String(body);
  }
  if (log.severityNumber > 0) record.otelSeverity = log.severityNumber;
  const time = log.timeMs > 0 ? log.timeMs : log.observedMs;
  if (time > 0) record.timestamp = time;
  if (log.traceId !== "") record.traceId = log.traceId;
  if (log.spanId !== "") record.spanId = log.spanId;
  const attributes: Record<string, string> = {};
  if (scope.name !== "") attributes["otel.scope.name"] = scope.name;
  if (scope.version !== "") attributes["otel.scope.version"] = scope.version;
  record.attributes = attributes;
  return mapRecord(record, options.limits);
}

// ---- protobuf (opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest) ----

/**
 * Decode an OTLP/HTTP protobuf body. A record that is malformed inside fails alone (its length is
 * known, so the next one can be read); a body broken around its records fails as a whole.
 */
export function decodeOtlpProtobuf(body: Uint8Array, options: DecodeOptions): OtlpResult {
  const items: DecodedItem[] = [];
  try {
    const r = new ProtoReader(body);
    if (!eachMessage(r, 1, () => readResourceLogs(r, items, options)))
      return tooMany(options.maxEvents, "log records in one request");
  } catch (err) {
    if (!(err instanceof ProtoError)) throw err;
    return { ok: false, code: "BAD_REQUEST", error: `not an OTLP ExportLogsServiceRequest: ${err.message}` };
  }
  return { ok: true, items };
}

const LEN_1 = (1 << 3) | WIRE_LEN;
const LEN_2 = (2 << 3) | WIRE_LEN;
const LEN_3 = (3 << 3) | WIRE_LEN;

/** Fields of the current message as [start, end] ranges, to be read after fields that come later. */
function rangeOf(r: ProtoReader): [number, number] {
  const end = r.lengthEnd();
  const range: [number, number] = [r.pos, end];
  r.pos = end;
  return range;
}

function readResourceLogs(r: ProtoReader, items: DecodedItem[], options: DecodeOptions): boolean {
  let resource: Fields = Object.create(null);
  const scopes: [number, number][] = [];
  while (r.more()) {
    const tag = r.tag();
    if (tag === LEN_1) {
      const outer = r.enter();
      resource = readAttributesOf(r, LEN_1);
      r.leave(outer);
    } else if (tag === LEN_2) scopes.push(rangeOf(r));
    else r.skip(tag & 7);
  }
  // The resource may follow its scopes on the wire: they are read once it is known.
  const end = r.limit;
  for (const [start, scopeEnd] of scopes) {
    r.pos = start;
    r.limit = scopeEnd;
    const ok = readScopeLogs(r, resource, items, options);
    r.limit = end;
    if (!ok) return false;
  }
  r.pos = end;
  return true;
}

/** The KeyValue fields numbered `tag` of the current message (resource and scope attributes). */
function readAttributesOf(r: ProtoReader, tagOfAttributes: number): Fields {
  const attributes: Fields = Object.create(null);
  while (r.more()) {
    const tag = r.tag();
    if (tag === tagOfAttributes) readKeyValue(r, attributes, 0);
    else r.skip(tag & 7);
  }
  return attributes;
}

function readScopeLogs(
  r: ProtoReader,
  resource: Fields,
  items: DecodedItem[],
  options: DecodeOptions,
): boolean {
  const scope: OtlpScope = { name: "", version: "", attributes: Object.create(null) };
  const records: [number, number][] = [];
  while (r.more()) {
    const tag = r.tag();
    if (tag === LEN_1) {
      const outer = r.enter();
      readScope(r, scope);
      r.leave(outer);
    } else if (tag === LEN_2) records.push(rangeOf(r));
    else r.skip(tag & 7);
  }
  const end = r.limit;
  for (const [start, recordEnd] of records) {
    if (items.length >= options.maxEvents) return false;
    r.pos = start;
    r.limit = recordEnd;
    let item: DecodedItem;
    try {
      item = mapLog(readLogRecord(r), scope, resource, options);
    } catch (err) {
      if (!(err instanceof ProtoError)) throw err;
      item = { ok: false, error: `malformed log record: ${err.message}` };
    }
    r.limit = end;
    items.push(item);
  }
  r.pos = end;
  return true;
}

function readScope(r: ProtoReader, scope: OtlpScope): void {
  while (r.more()) {
    const tag = r.tag();
    if (tag === LEN_1) scope.name = r.string();
    else if (tag === LEN_2) scope.version = r.string();
    else if (tag === LEN_3) readKeyValue(r, scope.attributes, 0);
    else r.skip(tag & 7);
  }
}

function readLogRecord(r: ProtoReader): OtlpLog {
  const log: OtlpLog = {
    timeMs: 0,
    observedMs: 0,
    severityNumber: 0,
    severityText: "",
    body: undefined,
    attributes: Object.create(null),
    eventName: "",
    traceId: "",
    spanId: "",
  };
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | WIRE_I64:
        log.timeMs = r.fixed64Millis();
        break;
      case (11 << 3) | WIRE_I64:
        log.observedMs = r.fixed64Millis();
        break;
      case 2 << 3:
        log.severityNumber = r.varint32();
        break;
      case LEN_3:
        log.severityText = r.string();
        break;
      case (5 << 3) | WIRE_LEN: {
        const outer = r.enter();
        log.body = readAnyValue(r, 0);
        r.leave(outer);
        break;
      }
      case (6 << 3) | WIRE_LEN:
        readKeyValue(r, log.attributes, 0);
        break;
      case (9 << 3) | WIRE_LEN:
        log.traceId = hexOf(r.bytes());
        break;
      case (10 << 3) | WIRE_LEN:
        log.spanId = hexOf(r.bytes());
        break;
      case (12 << 3) | WIRE_LEN:
        log.eventName = r.string();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return log;
}

/** One KeyValue (the reader stands at its length) into `into`; the first of a repeated key is kept. */
function readKeyValue(r: ProtoReader, into: Fields, depth: number): void {
  const outer = r.enter();
  let key = "";
  let value: unknown;
  while (r.more()) {
    const tag = r.tag();
    if (tag === LEN_1) key = r.string();
    else if (tag === LEN_2) {
      const inner = r.enter();
      value = readAnyValue(r, depth + 1);
      r.leave(inner);
    } else r.skip(tag & 7);
  }
  r.leave(outer);
  if (value !== undefined && !(key in into)) into[key] = value;
}

/** An AnyValue, the reader inside it: text, boolean, number, array, map (null-prototype) or base64 bytes. */
function readAnyValue(r: ProtoReader, depth: number): unknown {
  if (depth > MAX_ANY_DEPTH) throw new ProtoError(`values nested deeper than ${MAX_ANY_DEPTH}`);
  let value: unknown;
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case LEN_1:
        value = r.string();
        break;
      case 2 << 3:
        value = r.varint32() !== 0;
        break;
      case 3 << 3:
        value = r.int64();
        break;
      case (4 << 3) | WIRE_I64:
        value = r.double();
        break;
      case (5 << 3) | WIRE_LEN: {
        const list: unknown[] = [];
        const outer = r.enter();
        while (r.more()) {
          const t = r.tag();
          if (t === LEN_1) {
            const inner = r.enter();
            list.push(readAnyValue(r, depth + 1) ?? null);
            r.leave(inner);
          } else r.skip(t & 7);
        }
        r.leave(outer);
        value = list;
        break;
      }
      case (6 << 3) | WIRE_LEN: {
        const outer = r.enter();
        const map: Fields = Object.create(null);
        while (r.more()) {
          const t = r.tag();
          if (t === LEN_1) readKeyValue(r, map, depth + 1);
          else r.skip(t & 7);
        }
        r.leave(outer);
        value = map;
        break;
      }
      case (7 << 3) | WIRE_LEN:
        value = base64Of(r.bytes());
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return value;
}

// ---- JSON (the OTLP/JSON mapping: camelCase, int64 as strings or numbers, ids as hex) ----

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

/** int64 nanoseconds, as text or a number, to whole milliseconds; 0 when absent or unreadable. */
function nanosToMs(value: unknown): number {
  if (typeof value === "number") return Number.isFinite(value) && value > 0 ? Math.floor(value / 1e6) : 0;
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

// ---- answers ----

/**
 * The answer to an export, per the OTLP spec: empty when every record was taken, else
 * `partialSuccess` with the number refused and why. JSON for a JSON request, protobuf for protobuf.
 */
export function otlpAnswerJson(rejected: number, message: string): object {
  return rejected === 0
    ? {}
    : { partialSuccess: { rejectedLogRecords: String(rejected), errorMessage: message } };
}

export function otlpAnswerProtobuf(rejected: number, message: string): Uint8Array<ArrayBuffer> {
  if (rejected === 0) return new Uint8Array(0);
  const partial = new ProtoWriter().varint(1, rejected).string(2, message).finish();
  return new ProtoWriter().bytes(1, partial).finish();
}

/** gRPC status codes OTLP/HTTP error bodies carry. */
export const RPC_INVALID_ARGUMENT = 3;
export const RPC_RESOURCE_EXHAUSTED = 8;
export const RPC_UNAVAILABLE = 14;

/** A refused request's body: google.rpc.Status, as OTLP/HTTP wants for 4xx and 5xx answers. */
export function otlpStatusJson(code: number, message: string): object {
  return { code, message };
}

export function otlpStatusProtobuf(code: number, message: string): Uint8Array<ArrayBuffer> {
  return new ProtoWriter().varint(1, code).string(2, message).finish();
}
