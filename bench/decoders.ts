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

import { OTLPLogExporter as JsonExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPLogExporter as ProtobufExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchLogRecordProcessor, LoggerProvider } from "@opentelemetry/sdk-logs";
import { compressSync } from "snappy";
import { acceptItems, type DecodedItem, LineReader } from "../core/ingest/decoded.ts";
import { decodeBulk } from "../core/ingest/es-bulk.ts";
import { decodeLokiJson, decodeLokiProtobuf } from "../core/ingest/loki.ts";
import { decodeOtlpJson } from "../core/ingest/otlp-json.ts";
import { decodeOtlpProtobuf } from "../core/ingest/otlp-protobuf.ts";
import { decodePlainLines } from "../core/ingest/plain-lines.ts";
import { syslogItem } from "../core/ingest/syslog.ts";
import { SyslogTcpFramer } from "../core/ingest/syslog-framing.ts";
import { DEFAULT_EVENT_LIMITS, type LogEvent, parseLogEvent } from "../core/log-event.ts";
import { pb } from "../tests/helpers/protobuf-encoder.ts";
import { flags, machine, table, writeJson } from "./lib.ts";

const args = flags({
  events: { type: "string", default: "20000" },
  rounds: { type: "string", default: "9" },
});
const EVENTS = Number(args.events);
const ROUNDS = Number(args.rounds);
const BATCH = 1_000;
const OPTIONS = { limits: DEFAULT_EVENT_LIMITS, maxEvents: 10_000, maxBytes: 64 * 1024 * 1024 };
const LEVELS = ["INFO", "INFO", "INFO", "WARN", "ERROR"];
const SERVICES = ["checkout", "payments", "search", "auth"];
const base = Date.now() - 600_000;

interface Sample {
  ts: number;
  service: string;
  level: string;
  message: string;
  attrs: { order_id: number; region: string; latency_ms: number };
}
const samples: Sample[] = Array.from({ length: EVENTS }, (_, i) => ({
  ts: base + i,
  service: SERVICES[i % SERVICES.length]!,
  level: LEVELS[i % LEVELS.length]!,
  message: `order ${i} processed for customer ${i * 7919} in ${i % 300} ms`,
  attrs: { order_id: i, region: i % 2 ? "eu-west-1" : "us-east-1", latency_ms: i % 300 },
}));
const batches: Sample[][] = [];
for (let i = 0; i < EVENTS; i += BATCH) batches.push(samples.slice(i, i + BATCH));

const iso = (ms: number) => new Date(ms).toISOString();
const ns = (ms: number) => `${ms}000000`;
const syslogSeverity: Record<string, number> = { INFO: 6, WARN: 4, ERROR: 3 };

async function otlpBodies(Exporter: typeof ProtobufExporter | typeof JsonExporter): Promise<Uint8Array[]> {
  const bodies: Uint8Array[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      bodies.push(new Uint8Array(await req.arrayBuffer()));
      return new Response(null);
    },
  });
  for (const service of SERVICES) {
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ "service.name": service }),
      processors: [
        new BatchLogRecordProcessor({
          exporter: new Exporter({ url: `http://127.0.0.1:${server.port}/v1/logs` }),
          maxExportBatchSize: BATCH,
          maxQueueSize: EVENTS,
        }),
      ],
    });
    const logger = provider.getLogger("bench");
    for (const s of samples) {
      if (s.service !== service) continue;
      const severityNumber = s.level === "ERROR" ? 17 : s.level === "WARN" ? 13 : 9;
      logger.emit({
        timestamp: s.ts,
        severityNumber,
        severityText: s.level,
        body: s.message,
        attributes: s.attrs,
      });
    }
    await provider.forceFlush();
    await provider.shutdown();
  }
  server.stop(true);
  return bodies;
}

function lokiProtobuf(batch: Sample[]): Uint8Array {
  const byStream = Map.groupBy(
    batch,
    (s) => `{service_name="${s.service}", level="${s.level.toLowerCase()}"}`,
  );
  const streams = [...byStream].flatMap(([labels, entries]) =>
    pb.len(1, [
      ...pb.str(1, labels),
      ...entries.flatMap((s) =>
        pb.len(2, [
          ...pb.len(1, [...pb.uint(1, Math.floor(s.ts / 1000)), ...pb.uint(2, (s.ts % 1000) * 1e6)]),
          ...pb.str(2, JSON.stringify({ msg: s.message, ...s.attrs })),
        ]),
      ),
    ]),
  );
  return new Uint8Array(compressSync(Buffer.from(Uint8Array.from(streams))));
}

const text = (s: string) => new TextEncoder().encode(s);
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
    bodies: batches.map((b) =>
      text(
        b
          .map((s) =>
            JSON.stringify({
              timestamp: iso(s.ts),
              service: s.service,
              level: s.level,
              message: s.message,
              attributes: s.attrs,
            }),
          )
          .join("\n"),
      ),
    ),
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
    bodies: batches.map((b) =>
      text(
        b
          .map(
            (s) =>
              `{"index":{"_index":"${s.service}"}}\n${JSON.stringify({ "@timestamp": iso(s.ts), "log.level": s.level, message: s.message, ...s.attrs })}`,
          )
          .join("\n"),
      ),
    ),
    decode: (body, now) =>
      accept(
        must(decodeBulk(decodeText.decode(body), OPTIONS)).actions.map((a) => a.item),
        now,
      ),
  },
  {
    name: "otlp_protobuf",
    bodies: await otlpBodies(ProtobufExporter),
    decode: (body, now) => accept(must(decodeOtlpProtobuf(body, OPTIONS)).items, now),
  },
  {
    name: "otlp_json",
    bodies: await otlpBodies(JsonExporter),
    decode: (body, now) => accept(must(decodeOtlpJson(decodeText.decode(body), OPTIONS)).items, now),
  },
  {
    name: "loki_json",
    bodies: batches.map((b) => {
      const streams = [...Map.groupBy(b, (s) => `${s.service}|${s.level}`).values()].map((entries) => ({
        stream: { service_name: entries[0]!.service, level: entries[0]!.level.toLowerCase() },
        values: entries.map((s) => [ns(s.ts), JSON.stringify({ msg: s.message, ...s.attrs })]),
      }));
      return text(JSON.stringify({ streams }));
    }),
    decode: (body, now) => accept(must(decodeLokiJson(decodeText.decode(body), OPTIONS)).items, now),
  },
  {
    name: "loki_protobuf",
    bodies: batches.map(lokiProtobuf),
    decode: (body, now) => accept(must(decodeLokiProtobuf(body, OPTIONS)).items, now),
  },
  {
    name: "syslog_tcp",
    bodies: batches.map((b) =>
      text(
        b
          .map(
            (s) =>
              `<${16 * 8 + syslogSeverity[s.level]!}>1 ${iso(s.ts)} host-1 ${s.service} 42 - [order id="${s.attrs.order_id}" region="${s.attrs.region}"] ${s.message}\n`,
          )
          .join(""),
      ),
    ),
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
    bodies: batches.map((b) => text(b.map((s) => `${iso(s.ts)} ${s.level} ${s.message}`).join("\n"))),
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
table(rows);
writeJson(args.json, { events: EVENTS, rounds: ROUNDS, ...result });
