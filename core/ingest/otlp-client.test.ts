import { afterAll, describe, expect, test } from "bun:test";
import { SeverityNumber } from "@opentelemetry/api";
import { OTLPLogExporter as HttpJsonExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPLogExporter as ProtobufExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchLogRecordProcessor, LoggerProvider } from "@opentelemetry/sdk-logs";
import { integrationTimeouts } from "../../tests/helpers/timeouts.ts";
import type { LogEvent } from "../log-event.ts";
import { DEFAULT_EVENT_LIMITS } from "../log-event.ts";
import { acceptItems, describeRejections } from "./decoded.ts";
import { otlpAnswerJson, otlpAnswerProtobuf } from "./otlp.ts";
import { decodeOtlpJson } from "./otlp-json.ts";
import { decodeOtlpProtobuf } from "./otlp-protobuf.ts";

integrationTimeouts();

// The OpenTelemetry SDK's own exporters (protobuf and JSON over HTTP) against a server made of the
// decoders and answer builders: the bytes are the real clients', captured as they arrive.
const OPTIONS = { limits: DEFAULT_EVENT_LIMITS, maxEvents: 10_000 };
const received: { type: string; encoding: string | null; events: LogEvent[]; rejected: number }[] = [];

const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(req) {
    const type = req.headers.get("content-type") ?? "";
    let bytes = new Uint8Array(await req.arrayBuffer());
    const encoding = req.headers.get("content-encoding");
    if (encoding === "gzip") bytes = Bun.gunzipSync(bytes);
    const protobuf = type.startsWith("application/x-protobuf");
    const decoded = protobuf
      ? decodeOtlpProtobuf(bytes, OPTIONS)
      : decodeOtlpJson(new TextDecoder().decode(bytes), OPTIONS);
    if (!decoded.ok) return new Response(decoded.error, { status: 400 });
    const { events, outcomes, rejected } = acceptItems(decoded.items, Date.now(), DEFAULT_EVENT_LIMITS);
    received.push({ type, encoding, events, rejected });
    const message = rejected > 0 ? describeRejections(outcomes, "log records") : "";
    return protobuf
      ? new Response(otlpAnswerProtobuf(rejected, message), { headers: { "content-type": type } })
      : Response.json(otlpAnswerJson(rejected, message));
  },
});
afterAll(() => server.stop(true));

async function ship(
  Exporter: typeof ProtobufExporter | typeof HttpJsonExporter,
  emit: (logger: ReturnType<LoggerProvider["getLogger"]>) => void,
  compression?: "gzip",
) {
  received.length = 0;
  const exporter = new Exporter({
    url: `http://127.0.0.1:${server.port}/v1/logs`,
    ...(compression ? { compression: compression as never } : {}),
  });
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ "service.name": "checkout", "deployment.environment": "prod" }),
    processors: [new BatchLogRecordProcessor({ exporter, maxExportBatchSize: 512 })],
  });
  emit(provider.getLogger("payments-scope", "2.1.0"));
  await provider.forceFlush();
  await provider.shutdown();
  return received.flatMap((r) => r.events);
}

const SPAN = {
  traceId: "5b8efff798038103d269b633813fc60c",
  spanId: "eee19b7ec3c1b174",
  traceFlags: 1,
};

describe.each([
  ["protobuf", ProtobufExporter],
  ["JSON", HttpJsonExporter],
] as const)("OpenTelemetry SDK, OTLP/HTTP %s", (_name, Exporter) => {
  test("1,000 records arrive once each: service from the resource, level, time, attributes", async () => {
    const base = Date.now() - 30_000;
    const events = await ship(Exporter, (logger) => {
      for (let i = 0; i < 1_000; i++) {
        logger.emit({
          timestamp: base + i,
          severityNumber: i % 4 === 0 ? SeverityNumber.WARN : SeverityNumber.INFO,
          severityText: i % 4 === 0 ? "WARN" : "INFO",
          body: `order ${i} placed`,
          attributes: { "order.id": i, "order.express": i % 2 === 0, ratio: 0.25, tags: ["a", "b"] },
        });
      }
    });
    expect(received.length).toBeGreaterThan(1); // several export requests, one per batch
    expect(events).toHaveLength(1_000);
    const byMessage = new Map(events.map((e) => [e.message, e]));
    expect(byMessage.size).toBe(1_000);
    const e4 = byMessage.get("order 4 placed")!;
    expect(e4).toMatchObject({
      service: "checkout",
      level: "WARNING",
      timestamp: new Date(base + 4).toISOString(),
      attributes: {
        "order.id": 4,
        "order.express": true,
        ratio: 0.25,
        tags: '["a","b"]',
        "deployment.environment": "prod",
        "otel.scope.name": "payments-scope",
        "otel.scope.version": "2.1.0",
      },
    });
    expect(byMessage.get("order 5 placed")!.level).toBe("INFO");
  });

  test("structured bodies, severity number alone, span context, gzip", async () => {
    const { context, trace } = await import("@opentelemetry/api");
    const events = await ship(
      Exporter,
      (logger) => {
        const ctx = trace.setSpanContext(context.active(), SPAN);
        logger.emit({
          severityNumber: SeverityNumber.ERROR,
          body: { msg: "card declined", code: 402, nested: { k: "v" } },
          context: ctx,
        });
        logger.emit({ severityNumber: SeverityNumber.FATAL2, body: "no text severity" });
      },
      "gzip",
    );
    expect(received.every((r) => r.encoding === "gzip")).toBe(true);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      message: "card declined",
      level: "ERROR",
      trace_id: SPAN.traceId,
      span_id: SPAN.spanId,
      attributes: { code: 402, "nested.k": "v" },
    });
    expect(events[1]).toMatchObject({ message: "no text severity", level: "CRITICAL" });
  });

  test("a refused record is answered as a partial success, which the exporter reads", async () => {
    const { diag, DiagLogLevel } = await import("@opentelemetry/api");
    const warnings: string[] = [];
    const note = (...args: unknown[]) => warnings.push(args.map(String).join(" "));
    diag.setLogger({ warn: note, error: note, info() {}, debug() {}, verbose() {} }, DiagLogLevel.WARN);
    try {
      const events = await ship(Exporter, (logger) => {
        logger.emit({ body: "fine" });
        logger.emit({ body: "too old", timestamp: Date.parse("2001-01-01T00:00:00Z") });
      });
      expect(events.map((e) => e.message)).toEqual(["fine"]);
    } finally {
      diag.disable();
    }
    expect(received[0]!.rejected).toBe(1);
    const partial = warnings.find((w) => w.startsWith("Received Partial Success response:"));
    expect(partial).toContain("1 of 2 log records refused: #1: timestamp: older than the retention period");
    expect(partial).toMatch(/"rejectedLogRecords":("1"|1)/);
  });
});

describe("both encodings of one export decode to the same events", () => {
  test("the protobuf and the JSON request carry the same records", async () => {
    const at = Date.now() - 1_000;
    const emit = (logger: ReturnType<LoggerProvider["getLogger"]>) => {
      logger.emit({
        timestamp: at,
        severityNumber: SeverityNumber.DEBUG,
        body: { list: [1, "two", { three: 3 }], bytes: new Uint8Array([1, 2, 255]) },
        attributes: { big: 2 ** 40, neg: -7, pi: 2.71 },
      });
    };
    const strip = (events: LogEvent[]) => events.map(({ id, received_at, ...rest }) => rest);
    const viaProtobuf = strip(await ship(ProtobufExporter, emit));
    const viaJson = strip(await ship(HttpJsonExporter, emit));
    expect(viaProtobuf).toEqual(viaJson);
    expect(viaProtobuf[0]!.attributes).toMatchObject({ big: 2 ** 40, neg: -7, pi: 2.71, bytes: "AQL/" });
  });
});
