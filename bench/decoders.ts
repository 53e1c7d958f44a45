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
import { decoders } from "./protocol-decoders.ts";

const args = flags({ events: 20_000, rounds: 9 });
const { events: EVENTS, rounds: ROUNDS } = args;
const BATCH = 1_000;
const samples = makeSamples(EVENTS, Date.now() - 600_000);
const batches = batchesOf(samples, BATCH);

const protocols: { name: keyof typeof decoders; bodies: Uint8Array[] }[] = [
  { name: "native", bodies: batches.map(nativeBody) },
  { name: "bulk", bodies: batches.map(bulkBody) },
  { name: "otlp_protobuf", bodies: await otlpBodies("protobuf", samples, BATCH) },
  { name: "otlp_json", bodies: await otlpBodies("json", samples, BATCH) },
  { name: "loki_json", bodies: batches.map(lokiJsonBody) },
  { name: "loki_protobuf", bodies: batches.map(lokiProtobufBody) },
  { name: "syslog_tcp", bodies: batches.map(syslogBody) },
  { name: "plain", bodies: batches.map(plainBody) },
];

// Rounds take turns across the protocols, so that a machine whose speed drifts (a shared VM) shifts
// every protocol's figures alike rather than the ratios.
const rates = new Map<string, number[]>(protocols.map((p) => [p.name, []]));
const now = Date.now();
for (const p of protocols) {
  const check = p.bodies.reduce((n, b) => n + decoders[p.name](b, now).length, 0);
  if (check !== EVENTS) throw new Error(`${p.name}: ${check} of ${EVENTS} events decoded`);
}
for (let r = 0; r < ROUNDS; r++) {
  for (const p of protocols) {
    const started = performance.now();
    for (const b of p.bodies) decoders[p.name](b, now);
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
