/**
 * The same events as each shipper protocol sends them, in batches: what bench:decoders decodes and
 * bench:protocols sends to a running LogFlow. The OTLP bodies are the OpenTelemetry SDK exporter's own,
 * captured over HTTP; the Loki protobuf bodies are built field by field and compressed with Google's
 * snappy (the `snappy` package).
 */
import { OTLPLogExporter as JsonExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPLogExporter as ProtobufExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchLogRecordProcessor, LoggerProvider } from "@opentelemetry/sdk-logs";
import { compressSync } from "snappy";
import { pb } from "../tests/helpers/protobuf-encoder.ts";

export interface Sample {
  ts: number;
  service: string;
  level: string;
  message: string;
  attrs: { order_id: number; region: string; latency_ms: number };
}

/**
 * The syslog facility every sample came from, carried by every protocol's body as the attribute
 * `syslog.facility` (syslog's own PRI says it, and LogFlow stores it under that name). So each
 * protocol stores the same rows: a syslog body cannot leave its facility out, and one more attribute
 * key costs every stored row its JSON key and attribute-index entry, whichever protocol brought it.
 */
const FACILITY = { name: "local0", code: 16 } as const;
const FACILITY_ATTRIBUTE = { "syslog.facility": FACILITY.name };

const LEVELS = ["INFO", "INFO", "INFO", "WARN", "ERROR"];
export const SERVICES = ["checkout", "payments", "search", "auth"];

/** `n` events over the `n` milliseconds after `base`, services named `<prefix>checkout` and so on. */
export function makeSamples(n: number, base: number, prefix = ""): Sample[] {
  return Array.from({ length: n }, (_, i) => ({
    ts: base + i,
    service: prefix + SERVICES[i % SERVICES.length]!,
    level: LEVELS[i % LEVELS.length]!,
    message: `order ${i} processed for customer ${i * 7919} in ${i % 300} ms`,
    attrs: { order_id: i, region: i % 2 ? "eu-west-1" : "us-east-1", latency_ms: i % 300 },
  }));
}

export function batchesOf<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const iso = (ms: number) => new Date(ms).toISOString();
const ns = (ms: number) => `${ms}000000`;
const text = (s: string) => new TextEncoder().encode(s);
const SYSLOG_SEVERITY: Record<string, number> = { INFO: 6, WARN: 4, ERROR: 3 };

/** Native ingest, NDJSON (`POST /api/v1/ingest`). */
export function nativeBody(batch: Sample[]): Uint8Array {
  return text(
    batch
      .map((s) =>
        JSON.stringify({
          timestamp: iso(s.ts),
          service: s.service,
          level: s.level,
          message: s.message,
          attributes: { ...s.attrs, ...FACILITY_ATTRIBUTE },
        }),
      )
      .join("\n"),
  );
}

/** Elasticsearch bulk: the index names the service, ECS's `log.level`. */
export function bulkBody(batch: Sample[]): Uint8Array {
  return text(
    `${batch
      .map(
        (s) =>
          `{"index":{"_index":"${s.service}"}}\n${JSON.stringify({ "@timestamp": iso(s.ts), "log.level": s.level, message: s.message, ...s.attrs, ...FACILITY_ATTRIBUTE })}`,
      )
      .join("\n")}\n`,
  );
}

/** Loki push in JSON: one stream per service and level, pino-style JSON lines. */
export function lokiJsonBody(batch: Sample[]): Uint8Array {
  const streams = [...Map.groupBy(batch, (s) => `${s.service}|${s.level}`).values()].map((entries) => ({
    stream: { service_name: entries[0]!.service, level: entries[0]!.level.toLowerCase() },
    values: entries.map((s) => [
      ns(s.ts),
      JSON.stringify({ msg: s.message, ...s.attrs, ...FACILITY_ATTRIBUTE }),
    ]),
  }));
  return text(JSON.stringify({ streams }));
}

/** Loki push in protobuf, snappy-compressed. */
export function lokiProtobufBody(batch: Sample[]): Uint8Array {
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
          ...pb.str(2, JSON.stringify({ msg: s.message, ...s.attrs, ...FACILITY_ATTRIBUTE })),
        ]),
      ),
    ]),
  );
  return new Uint8Array(compressSync(Buffer.from(Uint8Array.from(streams))));
}

/**
 * RFC 5424 syslog, LF-framed as over TCP: the samples' fields and no others, as every other protocol's
 * body (the attributes as structured data, the facility in PRI; HOSTNAME, PROCID and MSGID the
 * NILVALUE, since the samples have no host or process). A host and a PROCID that the other protocols'
 * events lack made each stored syslog row ~6 % dearer to write (a host column and one more attribute,
 * in every index).
 */
export function syslogBody(batch: Sample[]): Uint8Array {
  return text(
    batch
      .map(
        (s) =>
          `<${FACILITY.code * 8 + SYSLOG_SEVERITY[s.level]!}>1 ${iso(s.ts)} - ${s.service} - - [order id="${s.attrs.order_id}" region="${s.attrs.region}" latency_ms="${s.attrs.latency_ms}"] ${s.message}\n`,
      )
      .join(""),
  );
}

/** Plain lines: an ISO time, a level word, the message. */
export function plainBody(batch: Sample[]): Uint8Array {
  return text(batch.map((s) => `${iso(s.ts)} ${s.level} ${s.message}`).join("\n"));
}

/** The OpenTelemetry SDK's export requests for `samples`, `batch` records each, captured as sent. */
export async function otlpBodies(
  protocol: "protobuf" | "json",
  samples: Sample[],
  batch: number,
): Promise<Uint8Array[]> {
  const Exporter = protocol === "protobuf" ? ProtobufExporter : JsonExporter;
  const bodies: Uint8Array[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      bodies.push(new Uint8Array(await req.arrayBuffer()));
      return new Response(null);
    },
  });
  for (const [service, records] of Map.groupBy(samples, (s) => s.service)) {
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ "service.name": service }),
      processors: [
        new BatchLogRecordProcessor({
          exporter: new Exporter({ url: `http://127.0.0.1:${server.port}/v1/logs` }),
          maxExportBatchSize: batch,
          maxQueueSize: records.length,
        }),
      ],
    });
    const logger = provider.getLogger("bench");
    for (const s of records) {
      const severityNumber = s.level === "ERROR" ? 17 : s.level === "WARN" ? 13 : 9;
      logger.emit({
        timestamp: s.ts,
        severityNumber,
        severityText: s.level,
        body: s.message,
        attributes: { ...s.attrs, ...FACILITY_ATTRIBUTE },
      });
    }
    await provider.forceFlush();
    await provider.shutdown();
  }
  server.stop(true);
  return bodies;
}
