/**
 * What decoding costs per protocol, before any queue or store: the same events, in batches of 1,000
 * as shippers send them, taken from request bytes to validated LogEvents (decode, map, parseLogEvent).
 * "native" is today's `/api/v1/ingest` NDJSON path (JSON.parse + parseLogEvent), the yardstick for the
 * issue's target that every protocol reaches ≥ 0.9 of native ingest end to end.
 *
 *   bun run bench:decoders [--events N] [--rounds R] [--json FILE]
 *
 * The OTLP bodies are the OpenTelemetry SDK exporter's own, captured over HTTP; the Loki protobuf
 * bodies are built field by field and compressed with Google's snappy (the `snappy` package).
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
import { flags, machine, report } from "./lib.ts";
import {
  batchesOf,
  bulkBody,
  lokiJsonBody,
  lokiProtobufBody,
  makeSamples,
  nativeBody,
  otlpBodies,
  plainBody,
  syslogBody,
} from "./protocol-bodies.ts";

const args = flags({ events: 20_000, rounds: 9 });
const { events: EVENTS, rounds: ROUNDS } = args;
const BATCH = 1_000;
const OPTIONS = { limits: DEFAULT_EVENT_LIMITS, maxEvents: 10_000, maxBytes: 64 * 1024 * 1024 };
const samples = makeSamples(EVENTS, Date.now() - 600_000);
const batches = batchesOf(samples, BATCH);

const decodeText = new TextDecoder();

type Decoder = (body: Uint8Array, now: number) => LogEvent[];
const accept = (items: DecodedItem[], now: number) => acceptItems(items, now, DEFAULT_EVENT_LIMITS).events;
const must = <T extends { ok: boolean }>(r: T) => {
  if (!r.ok) throw new Error(JSON.stringify(r));
  return r as Extract<T, { ok: true }>;
};

const protocols: { name: string; bodies: Uint8Array[]; decode: Decoder }[] = [
  {
    name: "native",
    bodies: batches.map(nativeBody),
    decode: (body, now) => {
      const events: LogEvent[] = [];
      const lines = new LineReader(decodeText.decode(body));
      for (let line = lines.next(); line !== null; line = lines.next()) {
        const r = parseLogEvent(JSON.parse(line), now, DEFAULT_EVENT_LIMITS);
        if (r.ok) events.push(r.event);
      }
      return events;
    },
  },
  {
    name: "bulk",
    bodies: batches.map(bulkBody),
    decode: (body, now) =>
      accept(
        must(decodeBulk(decodeText.decode(body), OPTIONS)).actions.map((a) => a.item),
        now,
      ),
  },
  {
    name: "otlp_protobuf",
    bodies: await otlpBodies("protobuf", samples, BATCH),
    decode: (body, now) => accept(must(decodeOtlpProtobuf(body, OPTIONS)).items, now),
  },
  {
    name: "otlp_json",
    bodies: await otlpBodies("json", samples, BATCH),
    decode: (body, now) => accept(must(decodeOtlpJson(decodeText.decode(body), OPTIONS)).items, now),
  },
  {
    name: "loki_json",
    bodies: batches.map(lokiJsonBody),
    decode: (body, now) => accept(must(decodeLokiJson(decodeText.decode(body), OPTIONS)).items, now),
  },
  {
    name: "loki_protobuf",
    bodies: batches.map(lokiProtobufBody),
    decode: (body, now) => accept(must(decodeLokiProtobuf(body, OPTIONS)).items, now),
  },
  {
    name: "syslog_tcp",
    bodies: batches.map(syslogBody),
    decode: (body, now) => {
      const framer = new SyslogTcpFramer();
      return accept(
        framer.push(body).messages.map((m) => syslogItem(m, now, OPTIONS)),
        now,
      );
    },
  },
  {
    name: "plain",
    bodies: batches.map(plainBody),
    decode: (body, now) =>
      accept(
        must(decodePlainLines(decodeText.decode(body), { ...OPTIONS, now, service: "plain" })).items,
        now,
      ),
  },
];

// Rounds take turns across the protocols, so that a machine whose speed drifts (a shared VM) shifts
// every protocol's figures alike rather than the ratios.
const rates = new Map<string, number[]>(protocols.map((p) => [p.name, []]));
const now = Date.now();
for (const p of protocols) {
  const check = p.bodies.reduce((n, b) => n + p.decode(b, now).length, 0);
  if (check !== EVENTS) throw new Error(`${p.name}: ${check} of ${EVENTS} events decoded`);
}
for (let r = 0; r < ROUNDS; r++) {
  for (const p of protocols) {
    const started = performance.now();
    for (const b of p.bodies) p.decode(b, now);
    rates.get(p.name)!.push(EVENTS / ((performance.now() - started) / 1000));
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const native = median(rates.get("native")!);
const rows: Record<string, string | number>[] = [];
const result: Record<string, number> = {};
for (const p of protocols) {
  const rate = median(rates.get(p.name)!);
  const bytes = p.bodies.reduce((n, b) => n + b.length, 0);
  result[`${p.name}_events_per_s`] = Math.round(rate);
  result[`${p.name}_ratio`] = Number((rate / native).toFixed(3));
  rows.push({
    protocol: p.name,
    "events/s (median)": Math.round(rate),
    "µs/event": Number((1e6 / rate).toFixed(2)),
    "ratio to native": Number((rate / native).toFixed(2)),
    "bytes/event": Number((bytes / EVENTS).toFixed(1)),
  });
}
console.log(`${EVENTS} events in batches of ${BATCH}, ${ROUNDS} rounds; ${machine()}`);
report(args.json, rows, { events: EVENTS, rounds: ROUNDS, ...result });
