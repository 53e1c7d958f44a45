import { parseTimestamp } from "../log-event.ts";
import {
  type DecodedItem,
  type DecodeFailure,
  type DecodeOptions,
  millisOfNanos,
  parseJsonBody,
  tooMany,
} from "./decoded.ts";
import { type Fields, mapRecord } from "./mapping.ts";
import { eachMessage, ProtoError, ProtoReader, WIRE_LEN } from "./protobuf.ts";
import { SnappyError, snappyUncompress } from "./snappy.ts";

export type LokiResult = { ok: true; items: DecodedItem[] } | DecodeFailure;

export interface LokiProtobufOptions extends DecodeOptions {
  /** Most bytes the snappy block may inflate to (the ingest body limit). */
  maxBytes: number;
}

/**
 * One Loki entry to an event input: the line is the message (or, when it is a JSON object, the
 * event's fields), structured metadata and then the stream's labels are the fields (so `service_name`,
 * `job` or `app` name the service, `level` the level), the entry's nanosecond time is the time. The
 * id is keyed by stream, time and line: Loki itself keeps one of two entries with the same stream,
 * nanosecond and line, and so a replayed push stores nothing twice here either.
 */
function mapEntry(
  streamKey: string,
  labels: Fields,
  ns: string,
  line: string,
  metadata: Fields | undefined,
  options: DecodeOptions,
): DecodedItem {
  const ms = millisOfNanos(ns);
  if (ms === null)
    return { ok: false, error: `entry time ${JSON.stringify(ns)} is not nanoseconds since the epoch` };
  const mapped = mapRecord(
    { line, fields: metadata ? [metadata, labels] : [labels], timestamp: ms },
    options.limits,
  );
  return mapped.ok ? { ...mapped, idKey: `loki\0${streamKey}\0${ns}\0${line}` } : mapped;
}

// ---- JSON: {"streams": [{"stream": {labels}, "values": [["<ns>", "<line>", {metadata}?]]}]} ----

/** Decode a Loki push in JSON, and the older `{labels: "{…}", entries: [{ts, line}]}` form. */
export function decodeLokiJson(text: string, options: DecodeOptions): LokiResult {
  const body = parseJsonBody(text);
  if (!body.ok) return body;
  const streams = (body.value as { streams?: unknown } | null)?.streams;
  if (!Array.isArray(streams)) {
    return { ok: false, code: "BAD_REQUEST", error: 'expected {"streams": [...]}' };
  }
  const items: DecodedItem[] = [];
  for (let s = 0; s < streams.length; s++) {
    const stream = streams[s] as Record<string, unknown> | null;
    const where = `streams[${s}]`;
    if (stream === null || typeof stream !== "object") {
      items.push({ ok: false, error: `${where}: expected an object` });
      continue;
    }
    if (Array.isArray(stream.values)) {
      const labels = stream.stream;
      if (labels !== undefined && (labels === null || typeof labels !== "object" || Array.isArray(labels))) {
        items.push({ ok: false, error: `${where}.stream: expected an object of labels` });
        continue;
      }
      const fields = (labels ?? {}) as Fields;
      const streamKey = JSON.stringify(fields);
      for (const value of stream.values) {
        if (items.length >= options.maxEvents) return tooMany(options.maxEvents, "entries in one push");
        items.push(jsonValue(value, streamKey, fields, where, options));
      }
    } else if (Array.isArray(stream.entries)) {
      const parsed =
        typeof stream.labels === "string" ? parseLabels(stream.labels) : "expected a labels string";
      for (const entry of stream.entries) {
        if (items.length >= options.maxEvents) return tooMany(options.maxEvents, "entries in one push");
        items.push(
          typeof parsed === "string"
            ? { ok: false, error: `${where}.labels: ${parsed}` }
            : legacyEntry(entry, stream.labels as string, parsed, where, options),
        );
      }
    } else {
      items.push({ ok: false, error: `${where}: expected "values": [["<ns>", "<line>"], …]` });
    }
  }
  return { ok: true, items };
}

function jsonValue(
  value: unknown,
  streamKey: string,
  labels: Fields,
  where: string,
  options: DecodeOptions,
): DecodedItem {
  if (!Array.isArray(value) || typeof value[0] !== "string" || typeof value[1] !== "string") {
    return { ok: false, error: `${where}.values: each entry must be ["<ns>", "<line>"] or with metadata` };
  }
  const meta = value[2];
  const metadata =
    meta !== null && typeof meta === "object" && !Array.isArray(meta) ? (meta as Fields) : undefined;
  return mapEntry(streamKey, labels, value[0], value[1], metadata, options);
}

function legacyEntry(
  entry: unknown,
  labelsText: string,
  labels: Fields,
  where: string,
  options: DecodeOptions,
) {
  const e = entry as { ts?: unknown; timestamp?: unknown; line?: unknown } | null;
  const ts = e?.ts ?? e?.timestamp;
  if (typeof e?.line !== "string" || typeof ts !== "string") {
    return {
      ok: false as const,
      error: `${where}.entries: each entry must be {"ts": "<RFC 3339>", "line": "…"}`,
    };
  }
  const ms = /^\d{4}-/.test(ts) ? parseTimestamp(ts) : null;
  if (ms === null) return { ok: false as const, error: `${where}.entries: ts is not an RFC 3339 time` };
  const ns = String(BigInt(Math.round(ms * 1000)) * 1000n);
  return mapEntry(labelsText, labels, ns, e.line, undefined, options);
}

// ---- protobuf: logproto.PushRequest, snappy block-compressed ----

/**
 * Decode a Loki push in protobuf. Loki clients compress it with snappy's block format whatever
 * Content-Encoding says, so the body is inflated first; a body that is not snappy is tried as plain
 * protobuf, as hand-made clients sometimes send it. A malformed entry fails alone.
 */
export function decodeLokiProtobuf(body: Uint8Array, options: LokiProtobufOptions): LokiResult {
  let bytes: Uint8Array;
  let snappyError = "";
  try {
    bytes = snappyUncompress(body, options.maxBytes);
  } catch (err) {
    if (!(err instanceof SnappyError)) throw err;
    snappyError = err.message;
    bytes = body;
  }
  const items: DecodedItem[] = [];
  try {
    const r = new ProtoReader(bytes);
    if (!eachMessage(r, 1, () => readStream(r, items, options)))
      return tooMany(options.maxEvents, "entries in one push");
  } catch (err) {
    if (!(err instanceof ProtoError)) throw err;
    const why = snappyError ? `${snappyError}; as plain protobuf: ${err.message}` : err.message;
    return { ok: false, code: "BAD_REQUEST", error: `not a snappy-compressed Loki PushRequest: ${why}` };
  }
  return { ok: true, items };
}

function readStream(r: ProtoReader, items: DecodedItem[], options: DecodeOptions): boolean {
  let labelsText = "";
  const entries: [number, number][] = [];
  while (r.more()) {
    const tag = r.tag();
    if (tag === ((1 << 3) | WIRE_LEN)) labelsText = r.string();
    else if (tag === ((2 << 3) | WIRE_LEN)) {
      const end = r.lengthEnd();
      entries.push([r.pos, end]);
      r.pos = end;
    } else r.skip(tag & 7);
  }
  const labels = parseLabels(labelsText);
  const end = r.limit;
  for (const [start, entryEnd] of entries) {
    if (items.length >= options.maxEvents) return false;
    if (typeof labels === "string") {
      items.push({
        ok: false,
        error: `stream labels ${JSON.stringify(labelsText.slice(0, 200))}: ${labels}`,
      });
      continue;
    }
    r.pos = start;
    r.limit = entryEnd;
    try {
      const entry = readEntry(r);
      items.push(mapEntry(labelsText, labels, entry.ns, entry.line, entry.metadata, options));
    } catch (err) {
      if (!(err instanceof ProtoError)) throw err;
      items.push({ ok: false, error: `malformed entry: ${err.message}` });
    }
    r.limit = end;
  }
  r.pos = end;
  return true;
}

function readEntry(r: ProtoReader): { ns: string; line: string; metadata: Fields | undefined } {
  let seconds: number | string = 0;
  let nanos = 0;
  let line = "";
  let metadata: Fields | undefined;
  while (r.more()) {
    const tag = r.tag();
    if (tag === ((1 << 3) | WIRE_LEN)) {
      const outer = r.enter();
      while (r.more()) {
        const t = r.tag();
        if (t === 1 << 3) seconds = r.int64();
        else if (t === 2 << 3) nanos = r.varint32();
        else r.skip(t & 7);
      }
      r.leave(outer);
    } else if (tag === ((2 << 3) | WIRE_LEN)) line = r.string();
    else if (tag === ((3 << 3) | WIRE_LEN)) {
      const outer = r.enter();
      let name = "";
      let value = "";
      while (r.more()) {
        const t = r.tag();
        if (t === ((1 << 3) | WIRE_LEN)) name = r.string();
        else if (t === ((2 << 3) | WIRE_LEN)) value = r.string();
        else r.skip(t & 7);
      }
      r.leave(outer);
      metadata ??= Object.create(null) as Fields;
      if (name !== "" && !(name in metadata)) metadata[name] = value;
    } else r.skip(tag & 7);
  }
  if (typeof seconds !== "number" || seconds < 0 || nanos >= 1e9) {
    throw new ProtoError(`timestamp ${seconds}s ${nanos}ns is out of range`);
  }
  const ns = seconds === 0 ? String(nanos) : `${seconds}${String(nanos).padStart(9, "0")}`;
  return { ns, line, metadata };
}

// ---- labels: {name="value", …} as Prometheus and Loki write them ----

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\", "'": "'" };

/** Parse a label set such as `{job="api", level="info"}`; a string saying what is wrong when it cannot. */
export function parseLabels(text: string): Fields | string {
  const labels: Fields = Object.create(null);
  let i = 0;
  const n = text.length;
  const skipSpace = () => {
    while (i < n && (text[i] === " " || text[i] === "\t")) i++;
  };
  skipSpace();
  if (i >= n) return labels; // no labels at all
  if (text[i] !== "{") return "expected {";
  i++;
  for (;;) {
    skipSpace();
    if (text[i] === "}") break;
    const nameStart = i;
    while (i < n && /[A-Za-z0-9_.:-]/.test(text[i]!)) i++;
    const name = text.slice(nameStart, i);
    if (name === "") return `expected a label name at ${i}`;
    skipSpace();
    if (text[i] !== "=") return `expected = after ${name}`;
    i++;
    skipSpace();
    if (text[i] !== '"') return `expected a quoted value for ${name}`;
    i++;
    let value = "";
    for (;;) {
      if (i >= n) return `unterminated value for ${name}`;
      const c = text[i]!;
      if (c === '"') break;
      if (c !== "\\") {
        value += c;
        i++;
        continue;
      }
      const e = text[i + 1];
      if (e === undefined) return `unterminated value for ${name}`;
      const hex = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
      if (hex > 0) {
        const code = Number.parseInt(text.slice(i + 2, i + 2 + hex), 16);
        if (!/^[0-9a-fA-F]+$/.test(text.slice(i + 2, i + 2 + hex)) || code > 0x10ffff) {
          return `bad escape in the value of ${name}`;
        }
        value += String.fromCodePoint(code);
        i += 2 + hex;
      } else {
        value += ESCAPES[e] ?? e;
        i += 2;
      }
    }
    i++;
    if (!(name in labels)) labels[name] = value;
    skipSpace();
    if (text[i] === ",") {
      i++;
      continue;
    }
    if (text[i] === "}") break;
    return `expected , or } after the value of ${name}`;
  }
  i++;
  skipSpace();
  return i === n ? labels : "text after }";
}
