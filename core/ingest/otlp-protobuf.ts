import { type DecodedItem, type DecodeOptions, tooMany } from "./decoded.ts";
import type { Fields } from "./mapping.ts";
import { MAX_ANY_DEPTH, mapLog, type OtlpLog, type OtlpResult, type OtlpScope } from "./otlp.ts";
import { base64Of, eachMessage, hexOf, ProtoError, ProtoReader, WIRE_I64, WIRE_LEN } from "./protobuf.ts";

// opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest, read by hand (see protobuf.ts).

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
