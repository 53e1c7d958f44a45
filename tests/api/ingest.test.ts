import { describe, expect, test } from "bun:test";
import { MemoryLogQueue } from "../../core/adapters/memory/queue.ts";
import { IngestResultSchema } from "../../core/logs/schema.ts";
import type { LogStore } from "../../core/ports/log-store.ts";
import { createApp } from "../../edge-api/app.ts";
import { freshService, ingest, suiteApp } from "../helpers/app.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

const t = suiteApp();

async function search(params: Record<string, string>) {
  const res = await t.request(`/api/v1/logs/search?${new URLSearchParams(params)}`);
  expect(res.status).toBe(200);
  return (await res.json()) as {
    total: number;
    logs: Array<Record<string, unknown>>;
    next_cursor: string | null;
  };
}

describe("POST /api/v1/ingest", () => {
  test("stores one JSON object and answers only after it is searchable", async () => {
    const service = freshService();
    const res = await ingest(t, { service, level: "info", message: "hello from a single object" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 1, rejected: 0, errors: [] });
    const found = await search({ service });
    expect(found.total).toBe(1);
    expect(found.logs[0]).toMatchObject({ service, level: "INFO", message: "hello from a single object" });
    expect(found.logs[0]!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
  });

  test("a mixed batch stores the valid events and names each invalid one by index", async () => {
    const service = freshService();
    const res = await ingest(t, [
      { service, message: "first good" },
      { service, level: "LOUD", message: "bad level" },
      { message: "no service" },
      { service, message: "second good" },
      "not an object",
    ]);
    expect(res.status).toBe(200);
    const body = IngestResultSchema.parse(await res.json());
    expect(body.accepted).toBe(2);
    expect(body.rejected).toBe(3);
    expect(body.errors.map((e) => e.index)).toEqual([1, 2, 4]);
    expect(body.errors[0]!.error).toContain("level");
    expect(body.errors[1]!.error).toContain("service");
    expect((await search({ service })).total).toBe(2);
  });

  test("NDJSON: a broken line is rejected with its line number, the others are stored", async () => {
    const service = freshService();
    const lines = [
      JSON.stringify({ service, message: "line one" }),
      "",
      `{"service": "${service}", "message": "broken" `,
      JSON.stringify({ service, message: "line four" }),
    ].join("\n");
    const res = await ingest(t, lines, "application/x-ndjson");
    expect(res.status).toBe(200);
    const body = IngestResultSchema.parse(await res.json());
    expect(body.accepted).toBe(2);
    expect(body.rejected).toBe(1);
    expect(body.errors[0]!.index).toBe(1);
    expect(body.errors[0]!.error).toStartWith("line 3:");
    expect((await search({ service })).total).toBe(2);
  });

  test("broken JSON is a 400 problem naming the line and column", async () => {
    const res = await ingest(t, '[{"service": "a", "message": "x"},\n {"service": oops}]');
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const body = (await res.json()) as { code: string; detail: string; request_id: string };
    expect(body.code).toBe("INVALID_JSON");
    expect(body.detail).toContain("line 2, column 14");
    expect(body.request_id).toBe(res.headers.get("x-request-id")!);
  });

  test("an event nested 50,000 deep is one rejected event; the rest of its batch is stored", async () => {
    const service = freshService();
    const deep = `${'{"a":'.repeat(50_000)}1${"}".repeat(50_000)}`;
    const good = (message: string) => JSON.stringify({ service, message });
    const bad = `{"service":"${service}","message":"deep","payload":${deep}}`;
    const res = await ingest(t, `[${good("first")},${bad},${good("second")}]`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      accepted: 2,
      rejected: 1,
      errors: [{ index: 1, error: expect.stringContaining("nested deeper than 64 levels") }],
    });
    const lines = await ingest(t, [good("third"), bad, good("fourth")].join("\n"), "application/x-ndjson");
    expect(lines.status).toBe(200);
    expect(await lines.json()).toMatchObject({ accepted: 2, rejected: 1, errors: [{ index: 1 }] });
    expect((await search({ service })).total).toBe(4);

    const alone = await ingest(t, bad);
    expect(alone.status).toBe(422);
    expect((await alone.json()).detail).toContain("nested deeper than 64 levels");
  });

  test("a single invalid object is a 422 with the reason", async () => {
    const res = await ingest(t, { service: "x" });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { detail: string; errors: unknown[] };
    expect(body.detail).toContain("message: is required");
    expect(body.errors).toHaveLength(1);
  });

  test("a body over INGEST_MAX_BODY_BYTES is a 413, with or without Content-Length", async () => {
    const small = createApp({
      ...t.runtime.deps,
      settings: { ...t.runtime.deps.settings, INGEST_MAX_BODY_BYTES: 2048 },
    });
    const big = JSON.stringify([{ service: "big", message: "x".repeat(4096) }]);
    const headers = { "content-type": "application/json", authorization: `Bearer ${t.adminToken}` };
    const res = await small.request("/api/v1/ingest", { method: "POST", headers, body: big });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { code: string }).code).toBe("PAYLOAD_TOO_LARGE");
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const chunked = await small.request("/api/v1/ingest", {
      method: "POST",
      headers,
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(413);
  });

  test("more events than INGEST_MAX_EVENTS is a 413 and stores nothing", async () => {
    const service = freshService();
    const capped = createApp({
      ...t.runtime.deps,
      settings: { ...t.runtime.deps.settings, INGEST_MAX_EVENTS: 3 },
    });
    const res = await capped.request("/api/v1/ingest", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${t.adminToken}` },
      body: JSON.stringify(Array.from({ length: 4 }, (_, i) => ({ service, message: `m${i}` }))),
    });
    expect(res.status).toBe(413);
    expect((await search({ service })).total).toBe(0);
  });

  test("a wrong content type is a 415", async () => {
    const res = await ingest(t, "service=x&message=y", "application/x-www-form-urlencoded");
    expect(res.status).toBe(415);
    // Bytes, not a string: a string body would be sent as text/plain, which is plain lines.
    const none = await t.request("/api/v1/ingest", {
      method: "POST",
      headers: { authorization: `Bearer ${t.adminToken}` },
      body: new TextEncoder().encode("{}"),
    });
    expect(none.status).toBe(415);
  });

  test("text/plain: one event per line, time and level read from common formats, the service from ?service=", async () => {
    const service = freshService("plain");
    const lines = [
      '203.0.113.9 - - [29/Nov/2026:10:00:00 +0000] "GET /cart HTTP/1.1" 503 12 "-" "curl/8"',
      "",
      "2026-11-29T10:00:01.250Z ERROR payment declined for order 7",
      '{"msg":"from pino","level":40,"time":1795946402000,"order":8}',
      "just a line",
    ].join("\n");
    const now = Date.parse("2026-11-29T10:05:00Z");
    const app = createApp({ ...t.runtime.deps, now: () => now });
    const res = await app.request(`/api/v1/ingest?service=${service}`, {
      method: "POST",
      headers: { "content-type": "text/plain", authorization: `Bearer ${t.adminToken}` },
      body: lines,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 4, rejected: 0, errors: [] });
    const found = (
      await search({
        service,
        limit: "10",
        start_time: "2026-11-29T00:00:00Z",
        end_time: "2026-11-30T00:00:00Z",
      })
    ).logs;
    const by = new Map(found.map((e) => [e.message, e]));
    expect(by.get(lines.split("\n")[0]!)).toMatchObject({
      level: "ERROR",
      timestamp: "2026-11-29T10:00:00.000Z",
      attributes: { "http.response.status_code": 503, "url.path": "/cart" },
    });
    expect(by.get("2026-11-29T10:00:01.250Z ERROR payment declined for order 7")).toMatchObject({
      level: "ERROR",
      timestamp: "2026-11-29T10:00:01.250Z",
    });
    expect(by.get("from pino")).toMatchObject({ level: "WARNING", attributes: { order: 8 } });
    expect(by.get("just a line")).toMatchObject({ level: "INFO", timestamp: new Date(now).toISOString() });
  });

  test("text/plain: the service from X-Service, gzip-compressed", async () => {
    const service = freshService("plain-gz");
    const res = await t.request("/api/v1/ingest", {
      method: "POST",
      headers: {
        "content-type": "text/plain; charset=utf-8",
        "content-encoding": "gzip",
        "x-service": service,
        authorization: `Bearer ${t.adminToken}`,
      },
      body: Bun.gzipSync("WARN disk almost full\nline two\n"),
    });
    expect(res.status).toBe(200);
    const found = (await search({ service })).logs.map((e) => [e.message, e.level]).sort();
    expect(found).toEqual([
      ["WARN disk almost full", "WARNING"],
      ["line two", "INFO"],
    ]);
  });

  test("missing, malformed and forged credentials are 401 with WWW-Authenticate", async () => {
    const body = JSON.stringify({ service: "x", message: "y" });
    const noAuth = await t.request("/api/v1/ingest", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(noAuth.status).toBe(401);
    expect(noAuth.headers.get("www-authenticate")).toContain("Bearer");
    const [h, p] = t.adminToken.split(".");
    const forgedPayload = btoa(JSON.stringify({ ...JSON.parse(atob(p!)), admin: true, sub: "999" })).replace(
      /=+$/,
      "",
    );
    for (const token of [
      "garbage",
      `${h}.${forgedPayload}.${t.adminToken.split(".")[2]}`,
      `${btoa('{"alg":"none"}')}.${p}.`,
    ]) {
      const res = await ingest(t, body, "application/json", token);
      expect(res.status).toBe(401);
    }
  });

  test("level aliases, syslog and OpenTelemetry numbers normalise to the five levels", async () => {
    const service = freshService();
    const cases: [unknown, string][] = [
      ["warn", "WARNING"],
      ["Warning", "WARNING"],
      ["ERR", "ERROR"],
      ["fatal", "CRITICAL"],
      ["trace", "DEBUG"],
      ["notice", "INFO"],
      [3, "ERROR"],
      [0, "CRITICAL"],
      [7, "DEBUG"],
      [17, "ERROR"],
      ["4", "WARNING"],
    ];
    const res = await ingest(
      t,
      cases.map(([level], i) => ({ service, level, message: `case-${i}` })),
    );
    expect(((await res.json()) as { accepted: number }).accepted).toBe(cases.length);
    const otel = await ingest(t, { service, severity_number: 21, message: "otel fatal" });
    expect(otel.status).toBe(200);
    const { logs } = await search({ service, limit: "100" });
    const byMessage = new Map(logs.map((l) => [l.message, l.level]));
    cases.forEach(([, expected], i) => {
      expect(byMessage.get(`case-${i}`)).toBe(expected);
    });
    expect(byMessage.get("otel fatal")).toBe("CRITICAL");
  });

  test("timestamps: ISO, epoch s/ms/ns, missing → now; too old or too far ahead → rejected", async () => {
    const service = freshService();
    const now = Date.now();
    const res = await ingest(t, [
      { service, message: "iso", timestamp: new Date(now - 60_000).toISOString() },
      { service, message: "ms", timestamp: now - 120_000 },
      { service, message: "s", timestamp: Math.floor((now - 180_000) / 1000) },
      { service, message: "ns", timestamp: `${BigInt(now - 240_000) * 1_000_000n}` },
      { service, message: "none" },
      { service, message: "ancient", timestamp: "2005-06-09T06:07:04Z" },
      { service, message: "future", timestamp: now + 7 * 86_400_000 },
      { service, message: "nonsense", timestamp: "yesterday-ish" },
    ]);
    const body = IngestResultSchema.parse(await res.json());
    expect(body.accepted).toBe(5);
    expect(body.errors.map((e) => e.index)).toEqual([5, 6, 7]);
    expect(body.errors[0]!.error).toContain("retention");
    const { logs } = await search({ service });
    const ts = new Map(logs.map((l) => [l.message, Date.parse(l.timestamp as string)]));
    expect(ts.get("iso")).toBe(now - 60_000);
    expect(ts.get("ms")).toBe(now - 120_000);
    expect(Math.abs(ts.get("s")! - (now - 180_000))).toBeLessThan(1000);
    expect(ts.get("ns")).toBe(now - 240_000);
    expect(Math.abs(ts.get("none")! - now)).toBeLessThan(60_000);
  });

  test("unknown fields become attributes; oversized messages are rejected, not truncated", async () => {
    const service = freshService();
    const res = await ingest(t, [
      {
        service,
        message: "with extras",
        latency_ms: 12,
        http: { status: 502 },
        attributes: { region: "eu" },
      },
      { service, message: "x".repeat(40_000) },
    ]);
    const body = IngestResultSchema.parse(await res.json());
    expect(body.accepted).toBe(1);
    expect(body.errors[0]!.error).toContain("message: longer than");
    const { logs } = await search({ service });
    expect(logs[0]!.attributes).toEqual({ region: "eu", latency_ms: 12, "http.status": 502 });
  });

  test("a full queue answers 503 with Retry-After and acknowledges nothing", async () => {
    const service = freshService();
    const tiny = new MemoryLogQueue(t.runtime.deps.store, {
      maxPending: 5,
      batchSize: 5,
      lingerMs: 0,
      concurrency: 1,
    });
    const app = createApp({ ...t.runtime.deps, queue: tiny });
    const res = await app.request("/api/v1/ingest", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${t.adminToken}` },
      body: JSON.stringify(Array.from({ length: 6 }, (_, i) => ({ service, message: `m${i}` }))),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect((await search({ service })).total).toBe(0);
  });

  test("a store outage is a 503, never a 2xx for events that were not committed", async () => {
    const failing: LogStore = Object.assign(Object.create(t.runtime.deps.store), {
      write: () => Promise.reject(new Error("connection refused")),
    });
    const queue = new MemoryLogQueue(failing, {
      maxPending: 100,
      batchSize: 10,
      lingerMs: 0,
      concurrency: 1,
    });
    const app = createApp({ ...t.runtime.deps, queue });
    const res = await app.request("/api/v1/ingest", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${t.adminToken}` },
      body: JSON.stringify({ service: "x", message: "y" }),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).not.toBeNull();
    const text = await res.text();
    expect(text).not.toContain("connection refused");
  });
});

describe("compressed ingest", () => {
  const headers = () => ({
    "content-type": "application/x-ndjson",
    "content-encoding": "gzip",
    authorization: `Bearer ${t.adminToken}`,
  });

  test("a gzip body is inflated and stored", async () => {
    const service = freshService();
    const body = Bun.gzipSync(
      new TextEncoder().encode(
        [1, 2, 3].map((i) => JSON.stringify({ service, message: `zipped ${i}` })).join("\n"),
      ),
    );
    const res = await t.request("/api/v1/ingest", { method: "POST", headers: headers(), body });
    expect(await res.json()).toEqual({ accepted: 3, rejected: 0, errors: [] });
    expect((await search({ service })).total).toBe(3);
  });

  test("a gzip bomb is cut off at the body limit: 413, nothing stored", async () => {
    const small = createApp({
      ...t.runtime.deps,
      settings: { ...t.runtime.deps.settings, INGEST_MAX_BODY_BYTES: 64 * 1024 },
    });
    const service = freshService();
    const line = `${JSON.stringify({ service, message: "x".repeat(1000) })}\n`;
    const bomb = Bun.gzipSync(new TextEncoder().encode(line.repeat(10_000))); // ~10 MB inflated
    expect(bomb.byteLength).toBeLessThan(64 * 1024);
    const res = await small.request("/api/v1/ingest", { method: "POST", headers: headers(), body: bomb });
    expect(res.status).toBe(413);
    expect((await search({ service })).total).toBe(0);
  });

  test("corrupt gzip is a 400 and an unknown encoding a 415", async () => {
    const bad = await t.request("/api/v1/ingest", {
      method: "POST",
      headers: headers(),
      body: "not gzip at all",
    });
    expect(bad.status).toBe(400);
    const br = await t.request("/api/v1/ingest", {
      method: "POST",
      headers: { ...headers(), "content-encoding": "br" },
      body: "x",
    });
    expect(br.status).toBe(415);
  });
});
