import { describe, expect, test } from "bun:test";
import pino from "pino";
import { pinoLoki } from "pino-loki";
import type { LogEvent } from "../../core/log-event.ts";
import { freshService, startTestApp } from "../helpers/app.ts";
import { servedSuite, storedOf } from "../helpers/shippers.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";
import { shipInvoices } from "../helpers/winston-loki.ts";

integrationTimeouts();

const s = servedSuite();

/** Reads the store until `count` events of `service` are in (Loki clients ship in the background). */
async function storedWhen(service: string, count: number, tries = 300): Promise<LogEvent[]> {
  for (let i = 0; ; i++) {
    const stored = await storedOf(s.t, service);
    if (stored.length >= count || i >= tries) return stored;
    await Bun.sleep(50);
  }
}

describe("Loki push", () => {
  test("pino-loki (JSON, Basic auth): 1,000 lines stored once each, read as events", async () => {
    const service = freshService("pino");
    const transport = pinoLoki({
      host: s.url(),
      basicAuth: { username: "pino", password: s.key() },
      labels: { application: service },
      batching: { interval: 0.05 },
    });
    const logger = pino({ base: { hostname: "web-7" } }, transport);
    for (let i = 0; i < 1_000; i++) {
      if (i % 5 === 0) logger.error({ order: i }, `order ${i} failed`);
      else logger.info({ order: i }, `order ${i} placed`);
    }
    await new Promise((resolve) => transport.end(resolve));
    const stored = await storedWhen(service, 1_000);
    const byMessage = new Map(stored.map((e) => [e.message, e]));
    expect(stored.length).toBe(1_000);
    expect(byMessage.size).toBe(1_000);
    expect(byMessage.get("order 5 failed")).toMatchObject({ service, level: "ERROR", host: "web-7" });
    expect(byMessage.get("order 6 placed")).toMatchObject({ level: "INFO", attributes: { order: 6 } });
  });

  test("winston-loki (protobuf + snappy) under /api/v1/loki: 1,000 lines with level and time", async () => {
    const service = freshService("winston");
    const base = await shipInvoices({
      host: `${s.url()}/api/v1`,
      basicAuth: `winston:${s.key()}`,
      labels: { app: service },
      level: (i) => (i % 3 === 0 ? "warn" : "info"),
    });
    const stored = await storedWhen(service, 1_000);
    const byNumber = new Map(stored.map((e) => [Number(/^invoice (\d+)/.exec(e.message)?.[1]), e]));
    expect(stored.length).toBe(1_000);
    expect(byNumber.size).toBe(1_000);
    expect(byNumber.get(3)).toMatchObject({
      service,
      level: "WARNING",
      timestamp: new Date(base + 3).toISOString(),
    });
    expect(byNumber.get(4)).toMatchObject({ level: "INFO" });
  });

  test("a replayed push stores nothing twice; a bad entry is a 400 naming it, the rest stored", async () => {
    const service = freshService("loki-replay");
    const ns = (ms: number) => `${BigInt(ms) * 1_000_000n}`;
    const now = Date.now() - 1_000;
    const body = {
      streams: [
        {
          stream: { service_name: service, level: "warn" },
          values: [
            [ns(now), "disk at 91%"],
            [ns(now + 1), "disk at 92%", { pod: "db-0" }],
          ],
        },
      ],
    };
    const push = (b: unknown, gzip = false) =>
      fetch(`${s.url()}/loki/api/v1/push`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${s.key()}`,
          ...(gzip ? { "content-encoding": "gzip" } : {}),
        },
        body: gzip ? Bun.gzipSync(JSON.stringify(b)) : JSON.stringify(b),
      });
    expect((await push(body)).status).toBe(204);
    expect((await push(body, true)).status).toBe(204);
    const stored = await storedOf(s.t, service);
    expect(stored.map((e) => [e.message, e.level, e.attributes.pod ?? null]).sort()).toEqual([
      ["disk at 91%", "WARNING", null],
      ["disk at 92%", "WARNING", "db-0"],
    ]);
    body.streams[0]!.values.push(
      [ns(Date.parse("2001-01-01T00:00:00Z")), "ancient"],
      [ns(now + 2), "disk at 93%"],
    );
    const partial = await push(body);
    expect(partial.status).toBe(400);
    expect(await partial.text()).toContain(
      "1 of 4 entries refused: #2: timestamp: older than the retention period",
    );
    expect((await storedOf(s.t, service)).length).toBe(3);
  });

  test("without credentials a 401 in plain text; with INGEST_AUTH=none, none are asked", async () => {
    const none = await fetch(`${s.url()}/loki/api/v1/push`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"streams":[]}',
    });
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toContain("Basic");
    expect(await none.text()).toStartWith("Missing credentials");

    const open = await startTestApp({ INGEST_AUTH: "none" });
    try {
      const service = freshService("open");
      const res = await open.request("/loki/api/v1/push", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          streams: [{ stream: { job: service }, values: [[`${Date.now()}000000`, "hi"]] }],
        }),
      });
      expect(res.status).toBe(204);
      expect((await storedOf(open, service)).map((e) => e.message)).toEqual(["hi"]);
      // Everything but ingest still needs credentials.
      expect((await open.request("/api/v1/auth/me")).status).toBe(401);
    } finally {
      await open.close();
    }
  }, 120_000); // a second app of its own: slow to start on a loaded machine
});
