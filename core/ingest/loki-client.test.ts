import { afterAll, describe, expect, test } from "bun:test";
import pino from "pino";
import { pinoLoki } from "pino-loki";
import { integrationTimeouts } from "../../tests/helpers/timeouts.ts";
import { shipInvoices } from "../../tests/helpers/winston-loki.ts";
import type { LogEvent } from "../log-event.ts";
import { DEFAULT_EVENT_LIMITS } from "../log-event.ts";
import { acceptItems, describeRejections } from "./decoded.ts";
import { decodeLokiJson, decodeLokiProtobuf } from "./loki.ts";

integrationTimeouts();

// Loki clients (pino-loki: JSON; winston-loki: protobuf + snappy, or JSON) against a server made of
// the decoders: the bodies are the real clients', captured as they arrive.
const OPTIONS = { limits: DEFAULT_EVENT_LIMITS, maxEvents: 10_000, maxBytes: 10 * 1024 * 1024 };
const pushes: { type: string; bytes: number }[] = [];
const stored = new Map<string, LogEvent>();

const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(req) {
    const type = req.headers.get("content-type") ?? "";
    const bytes = new Uint8Array(await req.arrayBuffer());
    pushes.push({ type, bytes: bytes.length });
    const decoded = type.startsWith("application/x-protobuf")
      ? decodeLokiProtobuf(bytes, OPTIONS)
      : decodeLokiJson(new TextDecoder().decode(bytes), OPTIONS);
    if (!decoded.ok) return new Response(decoded.error, { status: 400 });
    const { events, outcomes, rejected } = acceptItems(decoded.items, Date.now(), DEFAULT_EVENT_LIMITS);
    for (const e of events) if (!stored.has(e.id)) stored.set(e.id, e);
    if (rejected > 0) return new Response(describeRejections(outcomes, "entries"), { status: 400 });
    return new Response(null, { status: 204 });
  },
});
afterAll(() => server.stop(true));
const host = `http://127.0.0.1:${server.port}`;

function reset() {
  pushes.length = 0;
  stored.clear();
}

/** Waits (on a loaded machine, seconds) until the client's last batch has arrived. */
async function until(done: () => boolean, ms = 15_000): Promise<void> {
  for (const deadline = Date.now() + ms; !done() && Date.now() < deadline; ) await Bun.sleep(10);
}

describe("pino-loki (JSON)", () => {
  test("1,000 pino lines arrive once each, read as events: msg, numeric level, time, fields", async () => {
    reset();
    const transport = pinoLoki({ host, labels: { application: "checkout" }, batching: { interval: 0.05 } });
    const logger = pino({ base: { hostname: "web-7" } }, transport);
    for (let i = 0; i < 1_000; i++) {
      if (i % 5 === 0) logger.error({ order: i, meta: { trace_id: `t${i}` } }, `order ${i} failed`);
      else logger.info({ order: i }, `order ${i} placed`);
    }
    await new Promise((resolve) => transport.end(resolve));
    await until(() => stored.size >= 1_000);
    expect(pushes.every((p) => p.type.startsWith("application/json"))).toBe(true);
    const byMessage = new Map([...stored.values()].map((e) => [e.message, e]));
    expect(byMessage.size).toBe(1_000);
    expect(byMessage.get("order 5 failed")).toMatchObject({
      service: "checkout",
      level: "ERROR",
      host: "web-7",
      trace_id: "t5",
      attributes: { order: 5 },
    });
    expect(byMessage.get("order 6 placed")).toMatchObject({ level: "INFO", attributes: { order: 6 } });
  });
});

describe.each([
  ["protobuf + snappy", false, "application/x-protobuf"],
  ["JSON", true, "application/json"],
] as const)("winston-loki (%s)", (_name, json, type) => {
  test("1,000 lines arrive once each with their service, level and time", async () => {
    reset();
    const base = await shipInvoices({
      host,
      json,
      labels: { app: "billing" },
      level: (i) => (i % 3 === 0 ? "warn" : i % 3 === 1 ? "info" : "verbose"),
    });
    await until(() => stored.size >= 1_000);
    expect(pushes.length).toBeGreaterThan(0);
    expect(pushes.every((p) => p.type.startsWith(type))).toBe(true);
    const events = [...stored.values()];
    // winston-loki writes "<message> <JSON of the rest>" as the line.
    const byNumber = new Map(events.map((e) => [Number(/^invoice (\d+)/.exec(e.message)?.[1]), e]));
    expect(events.length).toBe(1_000);
    expect(byNumber.size).toBe(1_000);
    expect(byNumber.get(3)).toMatchObject({
      service: "billing",
      level: "WARNING",
      timestamp: new Date(base + 3).toISOString(),
    });
    expect(byNumber.get(4)).toMatchObject({ level: "INFO", timestamp: new Date(base + 4).toISOString() });
    expect(byNumber.get(5)).toMatchObject({ level: "DEBUG" });
  });
});
