import { beforeAll, describe, expect, test } from "bun:test";
import { freshService, ingest, suiteApp } from "../helpers/app.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

// biome-ignore lint/suspicious/noExplicitAny: response JSON, checked field by field below
type Json = any;

const MINUTE = 60_000;
const t = suiteApp();
// A fixed clock 30 s past a minute, so timeseries buckets are known in advance.
const NOW = Math.floor(Date.now() / MINUTE) * MINUTE - 30_000;
const service = freshService("checkout");
const other = freshService("auth");

beforeAll(async () => {
  t.runtime.deps.now = () => NOW;
  const events: Record<string, unknown>[] = [];
  for (let i = 0; i < 20; i++) {
    events.push({
      service,
      level: i % 4 === 0 ? "ERROR" : "INFO",
      message: i % 2 === 0 ? `GET /api/v1/orders/${i} answered` : `card declined for order ${i}`,
      timestamp: NOW - 1000 - i * 30_000,
      host: `web-${i % 3}`,
      attributes: { status_code: i % 5 === 0 ? 502 : 200, latency_ms: i * 50, route: `/api/v1/orders/${i}` },
    });
  }
  events.push({ service: other, level: "ERROR", message: "card declined", timestamp: NOW - 2000 });
  const res = await ingest(t, events);
  expect(((await res.json()) as { accepted: number }).accepted).toBe(21);
}, 60_000);

async function get(path: string): Promise<{ status: number; body: Json }> {
  const res = await t.request(path);
  return { status: res.status, body: await res.json() };
}

const q = (text: string) => encodeURIComponent(text);

describe("the query language on the log reads", () => {
  test("search: attributes by value and by range, columns, combined with words", async () => {
    const byStatus = await get(`/api/v1/logs/search?query=${q(`service:${service} status_code:502`)}`);
    expect(byStatus.status).toBe(200);
    expect(byStatus.body.total).toBe(4); // i = 0, 5, 10, 15
    expect(byStatus.body.logs.every((l: Json) => l.attributes.status_code === 502)).toBe(true);

    const slow = await get(`/api/v1/logs/search?query=${q(`service:${service} latency_ms:>=800`)}`);
    expect(slow.body.total).toBe(4); // i = 16..19
    const range = await get(`/api/v1/logs/search?query=${q(`service:${service} latency_ms:[100 TO 200]`)}`);
    expect(range.body.total).toBe(3);
    const mixed = await get(
      `/api/v1/logs/search?query=${q(`declined service:${service} (host:web-1 OR host:web-2) -level:error`)}`,
    );
    // odd i (declined), i % 3 ∈ {1, 2}, not i % 4 == 0 (odd i never is)
    expect(mixed.body.total).toBe([1, 5, 7, 11, 13, 17, 19].length);
    const prefix = await get(`/api/v1/logs/search?query=${q(`service:${service} route:/api/v1/orders/1*`)}`);
    expect(prefix.body.total).toBe(11); // 1, 10..19
  });

  test("recent with a query: the newest matching events", async () => {
    const { status, body } = await get(
      `/api/v1/logs/recent?limit=3&query=${q(`service:${service} level:error`)}`,
    );
    expect(status).toBe(200);
    expect(body.count).toBe(3);
    expect(body.logs.map((l: Json) => l.attributes.latency_ms)).toEqual([0, 200, 400]);
  });

  test("context with a query: only matching neighbours of the same service", async () => {
    const hit = await get(`/api/v1/logs/search?query=${q(`service:${service} latency_ms:500`)}`);
    const id = hit.body.logs[0].id;
    const { status, body } = await get(
      `/api/v1/logs/${id}/context?before=2&after=2&query=${q("status_code:502")}`,
    );
    expect(status).toBe(200);
    // status 502 at i = 0, 5, 10, 15 (latency 50 i), older as i grows; the hit is i = 10.
    expect(body.before.map((l: Json) => l.attributes.latency_ms)).toEqual([750]);
    expect(body.after.map((l: Json) => l.attributes.latency_ms)).toEqual([250, 0]);
  });

  test("timeseries honours the query and any interval from 1s to 1d", async () => {
    const { status, body } = await get(
      `/api/v1/metrics/timeseries?interval=90s&window_minutes=15&query=${q(`service:${service} level:error`)}`,
    );
    expect(status).toBe(200);
    expect(body.interval).toBe("90s");
    expect(body.query).toBe(`service:${service} level:error`);
    expect(body.buckets.reduce((s: number, b: Json) => s + b.count, 0)).toBe(5);
    expect(body.buckets.reduce((s: number, b: Json) => s + b.errors, 0)).toBe(5);
    const bad = await get("/api/v1/metrics/timeseries?interval=2d");
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe("interval");
  });

  test("a query that cannot be parsed is a 400 naming the position and what was expected", async () => {
    for (const path of ["/api/v1/logs/search", "/api/v1/logs/recent", "/api/v1/metrics/timeseries"]) {
      const { status, body } = await get(`${path}?query=${q("latency_ms:>abc")}`);
      expect({ path, status }).toEqual({ path, status: 400 });
      expect(body.errors).toEqual([
        {
          field: "query",
          message: 'at 12: expected a number after >, found "abc"',
          position: 12,
          expected: "a number after >",
        },
      ]);
    }
  });
});

describe("unknown query parameters are refused, naming them", () => {
  test("on every /api/v1/logs/* and /api/v1/metrics/* route", async () => {
    const hit = await get(`/api/v1/logs/search?query=${q(`service:${service}`)}&limit=1`);
    const id = hit.body.logs[0].id;
    for (const path of [
      "/api/v1/logs/search?serivce=x",
      "/api/v1/logs/recent?serivce=x",
      "/api/v1/logs/tail?serivce=x",
      `/api/v1/logs/${id}?serivce=x`,
      `/api/v1/logs/${id}/context?serivce=x`,
      "/api/v1/metrics/overview?serivce=x",
      `/api/v1/metrics/service/${service}?serivce=x`,
      "/api/v1/metrics/system?serivce=x",
      "/api/v1/metrics/timeseries?serivce=x",
    ]) {
      const { status, body } = await get(path);
      expect({ path, status, errors: body.errors }).toEqual({
        path,
        status: 400,
        errors: [{ field: "serivce", message: "unknown parameter" }],
      });
      expect(body.detail).toContain('unknown query parameter "serivce"');
    }
  });

  test("the detail lists what the endpoint takes", async () => {
    const { body } = await get("/api/v1/logs/recent?limit=5&levle=error&x=1");
    expect(body.detail).toBe('unknown query parameters "levle", "x" (this endpoint takes limit, query)');
  });
});
