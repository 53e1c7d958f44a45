import { afterAll, describe, expect, test } from "bun:test";
import { Client, HttpConnection } from "@elastic/elasticsearch";
import { integrationTimeouts } from "../../tests/helpers/timeouts.ts";
import type { LogEvent } from "../log-event.ts";
import { DEFAULT_EVENT_LIMITS } from "../log-event.ts";
import { acceptItems } from "./decoded.ts";
import { bulkAnswer, decodeBulk } from "./es-bulk.ts";

integrationTimeouts();

// The official client's helpers.bulk against a server made of the decoder and the answer builder
// (no route yet): what it sends must decode, and what we answer must satisfy it.
const stored = new Map<string, LogEvent>();
const bodies: string[] = [];
let refuseNext = 0;

const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(req) {
    const url = new URL(req.url);
    const headers = { "content-type": "application/json", "x-elastic-product": "Elasticsearch" };
    if (req.method !== "POST" || !url.pathname.endsWith("/_bulk"))
      return new Response("{}", { status: 404, headers });
    const text = await req.text();
    bodies.push(text);
    const decoded = decodeBulk(text, { limits: DEFAULT_EVENT_LIMITS, maxEvents: 10_000 });
    if (!decoded.ok) return Response.json({ error: decoded.error }, { status: 400, headers });
    const { events, outcomes } = acceptItems(
      decoded.actions.map((a) => a.item),
      Date.now(),
      DEFAULT_EVENT_LIMITS,
    );
    if (refuseNext > 0) {
      refuseNext--;
      const full = { status: 429, type: "es_rejected_execution_exception", reason: "queue full" };
      return Response.json(bulkAnswer(decoded.actions, outcomes, 1, full), { headers });
    }
    for (const e of events) if (!stored.has(e.id)) stored.set(e.id, e);
    return Response.json(bulkAnswer(decoded.actions, outcomes, 1), { headers });
  },
});
afterAll(() => server.stop(true));

// The client's default (undici) connection fails under Bun before it sends anything
// ("undefined is not an object (evaluating 'response.headers')"); its node:http one works.
const client = new Client({ node: `http://127.0.0.1:${server.port}`, Connection: HttpConnection });

describe("@elastic/elasticsearch helpers.bulk", () => {
  test("1,000 documents arrive once each, with service, level and time mapped", async () => {
    stored.clear();
    const base = Date.now() - 60_000;
    const docs = Array.from({ length: 1_000 }, (_, i) => ({
      "@timestamp": new Date(base + i).toISOString(),
      message: `request ${i} done`,
      log: { level: i % 10 === 0 ? "error" : "info" },
      http: { status: 200 + (i % 3) },
    }));
    const stats = await client.helpers.bulk({
      datasource: docs,
      onDocument: () => ({ index: { _index: "web-frontend" } }),
      flushBytes: 20_000,
    });
    expect(stats).toMatchObject({ total: 1_000, successful: 1_000, failed: 0 });
    expect(bodies.length).toBeGreaterThan(1);
    const byMessage = new Map([...stored.values()].map((e) => [e.message, e]));
    expect(byMessage.size).toBe(1_000);
    const e7 = byMessage.get("request 7 done")!;
    expect(e7).toMatchObject({ service: "web-frontend", level: "INFO", attributes: { "http.status": 201 } });
    expect(e7.timestamp).toBe(new Date(base + 7).toISOString());
    expect(byMessage.get("request 10 done")!.level).toBe("ERROR");
  });

  test("a replay of documents with _id stores nothing new", async () => {
    stored.clear();
    const docs = Array.from({ length: 50 }, (_, i) => ({
      id: `order-${i}`,
      "@timestamp": new Date(Date.now() - 1_000).toISOString(),
      message: `order ${i} paid`,
    }));
    const ship = () =>
      client.helpers.bulk({
        datasource: docs,
        onDocument: (doc) => [{ create: { _index: "orders", _id: doc.id } }, doc],
      });
    expect((await ship()).successful).toBe(50);
    expect((await ship()).successful).toBe(50);
    expect(stored.size).toBe(50);
  });

  test("items answered 429 are retried by the client; invalid ones are dropped with their reason", async () => {
    stored.clear();
    refuseNext = 1;
    const dropped: { status: number; error: unknown }[] = [];
    const docs = [{ message: "kept" }, { message: "too old", "@timestamp": "2001-01-01T00:00:00Z" }];
    const stats = await client.helpers.bulk({
      datasource: docs,
      onDocument: () => ({ index: { _index: "retry" } }),
      onDrop: (d) => dropped.push({ status: d.status, error: d.error }),
      retries: 2,
      wait: 10,
    });
    expect(stats).toMatchObject({ total: 2, successful: 1, failed: 1 });
    expect([...stored.values()].map((e) => e.message)).toEqual(["kept"]);
    expect(dropped).toEqual([
      {
        status: 400,
        error: {
          type: "document_parsing_exception",
          reason: "timestamp: older than the retention period (30 days)",
        },
      },
    ]);
  });
});
