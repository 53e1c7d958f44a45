import { describe, expect, test } from "bun:test";
import { SeverityNumber } from "@opentelemetry/api";
import { OTLPLogExporter as HttpJsonExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPLogExporter as ProtobufExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchLogRecordProcessor, LoggerProvider } from "@opentelemetry/sdk-logs";
import { AppError } from "../../core/errors.ts";
import { freshService } from "../helpers/app.ts";
import { servedSuite, storedOf } from "../helpers/shippers.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

const s = servedSuite();

type Exporter = typeof ProtobufExporter | typeof HttpJsonExporter;
type Logger = ReturnType<LoggerProvider["getLogger"]>;

/** The OpenTelemetry SDK with one of its OTLP/HTTP exporters, as an application would set it up. */
async function ship(
  Exporter: Exporter,
  service: string,
  emit: (logger: Logger) => void,
  opts: { url?: string; compression?: "gzip" } = {},
) {
  const exporter = new Exporter({
    url: opts.url ?? `${s.url()}/v1/logs`,
    headers: { authorization: `Bearer ${s.key()}` },
    ...(opts.compression ? { compression: opts.compression as never } : {}),
  });
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ "service.name": service, "deployment.environment": "prod" }),
    processors: [new BatchLogRecordProcessor({ exporter, maxExportBatchSize: 256 })],
  });
  emit(provider.getLogger("orders-scope", "1.0.0"));
  await provider.forceFlush();
  await provider.shutdown();
}

describe.each([
  ["protobuf", ProtobufExporter],
  ["JSON", HttpJsonExporter],
] as const)("OTLP/HTTP %s from @opentelemetry/sdk-logs", (_name, Exporter) => {
  test("1,000 records stored once each: service from the resource, level, time, attributes", async () => {
    const service = freshService("otel");
    const base = Date.now() - 30_000;
    await ship(Exporter, service, (logger) => {
      for (let i = 0; i < 1_000; i++) {
        logger.emit({
          timestamp: base + i,
          severityNumber: i % 4 === 0 ? SeverityNumber.WARN : SeverityNumber.INFO,
          body: `order ${i} placed`,
          attributes: { "order.id": i },
        });
      }
    });
    const stored = await storedOf(s.t, service);
    const byMessage = new Map(stored.map((e) => [e.message, e]));
    expect(stored.length).toBe(1_000);
    expect(byMessage.size).toBe(1_000);
    expect(byMessage.get("order 4 placed")).toMatchObject({
      service,
      level: "WARNING",
      timestamp: new Date(base + 4).toISOString(),
      attributes: { "order.id": 4, "deployment.environment": "prod", "otel.scope.name": "orders-scope" },
    });
    expect(byMessage.get("order 5 placed")!.level).toBe("INFO");
  });

  test("gzip under /api/v1/otlp; a refused record is a partial success and the rest is stored", async () => {
    const service = freshService("otel-gz");
    const { diag, DiagLogLevel } = await import("@opentelemetry/api");
    const warnings: string[] = [];
    const note = (...args: unknown[]) => warnings.push(args.map(String).join(" "));
    diag.setLogger({ warn: note, error: note, info() {}, debug() {}, verbose() {} }, DiagLogLevel.WARN);
    try {
      await ship(
        Exporter,
        service,
        (logger) => {
          logger.emit({ body: { msg: "card declined", code: 402 }, severityNumber: SeverityNumber.ERROR });
          logger.emit({ body: "too old", timestamp: Date.parse("2001-01-01T00:00:00Z") });
        },
        { url: `${s.url()}/api/v1/otlp/v1/logs`, compression: "gzip" },
      );
    } finally {
      diag.disable();
    }
    const stored = await storedOf(s.t, service);
    expect(stored.map((e) => [e.message, e.level, e.attributes.code])).toEqual([
      ["card declined", "ERROR", 402],
    ]);
    const partial = warnings.find((w) => w.startsWith("Received Partial Success response:"));
    expect(partial).toContain("1 of 2 log records refused: #1: timestamp: older than the retention period");
  });

  test("a full queue answers 503 with Retry-After; the exporter waits, retries, and each record arrives once", async () => {
    const service = freshService("otel-retry");
    let refuse = 1;
    // An injected fault: the collector refuses the first export as a full queue does.
    const url = s.serveWith((deps) => ({
      collect: (items, d, at) =>
        refuse-- > 0
          ? Promise.reject(
              new AppError("UNAVAILABLE", "Ingest queue is full", { headers: { "Retry-After": "1" } }),
            )
          : deps.collect(items, d, at),
    }));
    await ship(
      Exporter,
      service,
      (logger) => {
        for (let i = 0; i < 5; i++) logger.emit({ body: `retried ${i}` });
      },
      { url: `${url}/v1/logs` },
    );
    expect(refuse).toBeLessThan(0);
    expect((await storedOf(s.t, service)).map((e) => e.message).sort()).toEqual(
      Array.from({ length: 5 }, (_, i) => `retried ${i}`),
    );
  });
});

describe("OTLP/HTTP by hand", () => {
  test("a chunked body (no Content-Length) is read whole", async () => {
    const service = freshService("otel-chunked");
    const record = (i: number) =>
      `{"timeUnixNano":"${BigInt(Date.now() - 1_000) * 1_000_000n}","severityText":"ERROR","body":{"stringValue":"chunk ${i}"}}`;
    const text = `{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"${service}"}}]},"scopeLogs":[{"logRecords":[${[0, 1, 2].map(record).join(",")}]}]}]}`;
    const bytes = new TextEncoder().encode(text);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < bytes.length; at += 50) controller.enqueue(bytes.slice(at, at + 50));
        controller.close();
      },
    });
    const res = await fetch(`${s.url()}/v1/logs`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${s.key()}` },
      body,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    expect((await storedOf(s.t, service)).map((e) => [e.message, e.level]).sort()).toEqual([
      ["chunk 0", "ERROR"],
      ["chunk 1", "ERROR"],
      ["chunk 2", "ERROR"],
    ]);
  });

  test("without credentials a 401 in the request's encoding; a body that is not OTLP a 400", async () => {
    const none = await fetch(`${s.url()}/v1/logs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ code: 3 });
    const broken = await fetch(`${s.url()}/v1/logs`, {
      method: "POST",
      headers: { "content-type": "application/x-protobuf", authorization: `Bearer ${s.key()}` },
      body: new Uint8Array([0x0a, 0xff, 0xff]),
    });
    expect(broken.status).toBe(400);
    expect(broken.headers.get("content-type")).toBe("application/x-protobuf");
  });
});
