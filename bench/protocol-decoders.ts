/**
 * Each protocol's body to validated LogEvents, through the product's own decoders and mapping (decode,
 * map, acceptItems), before any queue or store: what bench:decoders times, and what
 * protocol-bodies.test.ts compares across protocols. "native" is `/api/v1/ingest`'s NDJSON path
 * (JSON.parse + parseLogEvent).
 */
import { acceptItems, type DecodedItem, LineReader } from "../core/ingest/decoded.ts";
import { decodeBulk } from "../core/ingest/es-bulk.ts";
import { decodeLokiJson, decodeLokiProtobuf } from "../core/ingest/loki.ts";
import { decodeOtlpJson } from "../core/ingest/otlp-json.ts";
import { decodeOtlpProtobuf } from "../core/ingest/otlp-protobuf.ts";
import { decodePlainLines } from "../core/ingest/plain-lines.ts";
import { syslogItem } from "../core/ingest/syslog.ts";
import { SyslogTcpFramer } from "../core/ingest/syslog-framing.ts";
import { DEFAULT_EVENT_LIMITS, type LogEvent, parseLogEvent } from "../core/log-event.ts";

export type Decoder = (body: Uint8Array, now: number) => LogEvent[];

const OPTIONS = { limits: DEFAULT_EVENT_LIMITS, maxEvents: 10_000, maxBytes: 64 * 1024 * 1024 };
const decodeText = new TextDecoder();
const accept = (items: DecodedItem[], now: number) => acceptItems(items, now, DEFAULT_EVENT_LIMITS).events;
const must = <T extends { ok: boolean }>(r: T) => {
  if (!r.ok) throw new Error(JSON.stringify(r));
  return r as Extract<T, { ok: true }>;
};

export const decoders = {
  native: (body, now) => {
    const events: LogEvent[] = [];
    const lines = new LineReader(decodeText.decode(body));
    for (let line = lines.next(); line !== null; line = lines.next()) {
      const r = parseLogEvent(JSON.parse(line), now, DEFAULT_EVENT_LIMITS);
      if (r.ok) events.push(r.event);
    }
    return events;
  },
  bulk: (body, now) =>
    accept(
      must(decodeBulk(decodeText.decode(body), OPTIONS)).actions.map((a) => a.item),
      now,
    ),
  otlp_protobuf: (body, now) => accept(must(decodeOtlpProtobuf(body, OPTIONS)).items, now),
  otlp_json: (body, now) => accept(must(decodeOtlpJson(decodeText.decode(body), OPTIONS)).items, now),
  loki_json: (body, now) => accept(must(decodeLokiJson(decodeText.decode(body), OPTIONS)).items, now),
  loki_protobuf: (body, now) => accept(must(decodeLokiProtobuf(body, OPTIONS)).items, now),
  syslog_tcp: (body, now) =>
    accept(
      new SyslogTcpFramer().push(body).messages.map((m) => syslogItem(m, now, OPTIONS)),
      now,
    ),
  plain: (body, now) =>
    accept(must(decodePlainLines(decodeText.decode(body), { ...OPTIONS, now, service: "plain" })).items, now),
} satisfies Record<string, Decoder>;
