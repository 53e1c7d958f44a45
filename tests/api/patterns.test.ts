import { beforeAll, describe, expect, test } from "bun:test";
import type { PatternList } from "../../core/patterns/schema.ts";
import { freshService, ingest, suiteApp } from "../helpers/app.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

const t = suiteApp();
const service = freshService("patterns");
const other = freshService("patterns-other");
const now = Date.now();

beforeAll(async () => {
  const events = [];
  for (let i = 0; i < 20; i++) {
    events.push({
      service,
      level: "ERROR",
      message: `GET /api/v1/users/u_${1000 + i * 37}/profile 500`,
      timestamp: now - i * 60_000,
    });
  }
  for (let i = 0; i < 10; i++) {
    events.push({
      service,
      message: `cache miss for key session:${(i * 7919).toString(16)}`,
      timestamp: now - i * 1000,
    });
  }
  events.push({ service: other, message: "worker started with 4 threads", timestamp: now });
  const res = await ingest(t, events);
  expect(((await res.json()) as { accepted: number }).accepted).toBe(31);
}, 60_000);

async function get(query: string): Promise<{ status: number; body: PatternList & Record<string, unknown> }> {
  const res = await t.request(`/api/v1/logs/patterns?${query}`);
  return { status: res.status, body: (await res.json()) as PatternList & Record<string, unknown> };
}

describe("GET /api/v1/logs/patterns", () => {
  test("lines that differ only in values are one pattern: template, count, share, sample, sparkline", async () => {
    const { status, body } = await get(`service=${service}&since=1h`);
    expect(status).toBe(200);
    expect(body.total).toBe(30);
    expect(body.without_pattern).toBe(0);
    expect(body.patterns.map((p) => p.count)).toEqual([20, 10]);
    const [errors, cache] = body.patterns;
    expect(errors!.template).toContain("/profile");
    expect(errors!.template).toContain("<*>");
    expect(errors!.share).toBeCloseTo(20 / 30);
    expect(errors!.service).toBe(service);
    expect(errors!.sample?.message).toMatch(/^GET \/api\/v1\/users\/u_\d+\/profile 500$/);
    expect(errors!.sample?.pattern).toBe(errors!.id);
    expect(errors!.sparkline.reduce((a, b) => a + b, 0)).toBe(20);
    expect(errors!.sparkline.length).toBe(body.buckets.length);
    expect(cache!.template).toStartWith("cache miss for key");
    // First seen just now: new in the last hour.
    expect(errors!.new).toBe(true);
    expect(Date.parse(errors!.first_seen!)).toBeLessThanOrEqual(Date.parse(errors!.last_seen!));
  });

  test("every stored event carries its pattern id", async () => {
    const { body } = await get(`service=${service}&since=1h`);
    const res = await t.request(`/api/v1/logs/search?service=${service}&level=ERROR&limit=100`);
    const page = (await res.json()) as { logs: { pattern?: string }[] };
    expect(page.logs.length).toBe(20);
    expect(new Set(page.logs.map((l) => l.pattern))).toEqual(new Set([body.patterns[0]!.id]));
  });

  test("pattern:<id> in search selects exactly the events of that template", async () => {
    const { body } = await get(`service=${service}&since=1h`);
    const errors = body.patterns[0]!;
    const res = await t.request(
      `/api/v1/logs/search?service=${service}&query=${encodeURIComponent(`pattern:${errors.id}`)}&limit=100`,
    );
    expect(res.status).toBe(200);
    const found = (await res.json()) as { logs: { message: string; pattern?: string }[]; total: number };
    expect(found.total).toBe(20);
    for (const log of found.logs) expect(log.pattern).toBe(errors.id);
    const rest = await t.request(
      `/api/v1/logs/search?service=${service}&query=${encodeURIComponent(`-pattern:${errors.id}`)}&limit=100`,
    );
    expect(((await rest.json()) as { total: number }).total).toBe(10);
  });

  test("stats count by pattern over time, with the same counts as the patterns list", async () => {
    const { body } = await get(`service=${service}&since=1h`);
    const res = await t.request(
      `/api/v1/logs/stats?since=1h&by=pattern&interval=10m&query=${encodeURIComponent(`service:${service}`)}`,
    );
    expect(res.status).toBe(200);
    const stats = (await res.json()) as {
      total: number;
      buckets: { start?: string; group: Record<string, string | null>; values: { count: number } }[];
    };
    expect(stats.total).toBe(30);
    const byPattern = new Map<string, number>();
    for (const b of stats.buckets) {
      const id = String(b.group.pattern);
      byPattern.set(id, (byPattern.get(id) ?? 0) + b.values.count);
    }
    for (const p of body.patterns) expect(byPattern.get(p.id)).toBe(p.count);
  });

  test("filters narrow as in search: level, query, service", async () => {
    const errors = await get(`service=${service}&level=ERROR`);
    expect(errors.body.patterns.map((p) => p.count)).toEqual([20]);
    const cache = await get(`service=${service}&query=cache`);
    expect(cache.body.patterns.map((p) => p.count)).toEqual([10]);
    const both = await get(`service=${service}&service=${other}&limit=1`);
    expect(both.body.total).toBe(31);
    expect(both.body.patterns.length).toBe(1);
  });

  test("the overview's top errors group lines that differ in values, with the pattern to filter on", async () => {
    const res = await t.request(`/api/v1/metrics/service/${service}?window_minutes=60`);
    const body = (await res.json()) as { top_errors: { message: string; count: number; pattern: string }[] };
    const { body: listed } = await get(`service=${service}&level=ERROR`);
    expect(body.top_errors).toEqual([
      { message: listed.patterns[0]!.template, count: 20, pattern: listed.patterns[0]!.id },
    ]);
  });

  test("an explicit range: start_time and end_time", async () => {
    const from = new Date(now - 5 * 60_000 - 500).toISOString();
    const to = new Date(now + 1).toISOString();
    const { body } = await get(`service=${service}&level=ERROR&start_time=${from}&end_time=${to}`);
    expect(body.patterns.map((p) => p.count)).toEqual([6]); // minutes 0–5 ago
    expect((await get(`since=1h&start_time=${from}`)).status).toBe(400);
  });

  test("a range with too many buckets, or a bad duration, is a 400 saying which parameter", async () => {
    const small = await get(`service=${service}&since=7d&interval=10s`);
    expect(small.status).toBe(400);
    expect(JSON.stringify(small.body)).toContain("interval");
    const bad = await get(`since=forever`);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("since");
    expect(JSON.stringify(bad.body)).toContain("must be a duration such as 15m, 1h, 6h, 24h or 7d");
    const badInterval = await get(`service=${service}&since=1h&interval=often`);
    expect(badInterval.status).toBe(400);
    expect(JSON.stringify(badInterval.body)).toContain("must be a duration such as 1m, 5m or 1h");
  });
});
