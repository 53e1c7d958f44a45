import { beforeAll, describe, expect, test } from "bun:test";
import { freshService, ingest, type Json, suiteApp, suiteClockPastMinute } from "../helpers/app.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

const MINUTE = 60_000;
const t = suiteApp();
const NOW = suiteClockPastMinute(t);
const a = freshService("pay");
const b = freshService("auth");
const c = freshService("mail");

beforeAll(async () => {
  const events: Record<string, unknown>[] = [];
  let i = 0;
  const at = () => NOW - 1000 - 1000 * i++;
  const add = (service: string, level: string, message: string, n: number) => {
    for (let k = 0; k < n; k++) events.push({ service, level, message, timestamp: at() });
  };
  // Current 60-minute window: 220 events.
  add(a, "INFO", "ok", 80);
  add(a, "ERROR", "db timeout", 15);
  add(a, "CRITICAL", "disk full", 5); // a: 20 % errors → unhealthy
  add(b, "INFO", "login ok", 90);
  add(b, "WARNING", "slow", 6);
  add(b, "ERROR", "card declined", 4); // b: 4 % → healthy
  add(c, "INFO", "sent", 17);
  add(c, "ERROR", "x", 2);
  events.push({ service: c, level: "INFO", message: "sent", timestamp: NOW - 60 * MINUTE }); // c: 10 % → degraded
  // Previous window: 110 events of a, one of them 1 ms before the current window.
  events.push({ service: a, level: "INFO", message: "ok", timestamp: NOW - 60 * MINUTE - 1 });
  for (let k = 0; k < 109; k++)
    events.push({ service: a, level: "INFO", message: "ok", timestamp: NOW - 61 * MINUTE - k * 1000 });
  // Outside both windows.
  events.push({ service: a, level: "ERROR", message: "old", timestamp: NOW - 121 * MINUTE });
  const res = await ingest(t, events);
  expect(((await res.json()) as { accepted: number }).accepted).toBe(331);
}, 60_000);

async function get(path: string): Promise<{ status: number; body: Record<string, Json> }> {
  const res = await t.request(path);
  return { status: res.status, body: (await res.json()) as Record<string, Json> };
}

describe("GET /api/v1/metrics/overview", () => {
  test("totals, rates, levels, top errors and per-service health over the window, inclusive of its start", async () => {
    const { status, body } = await get("/api/v1/metrics/overview?window_minutes=60");
    expect(status).toBe(200);
    expect(body.total_logs).toBe(220);
    expect(body.logs_per_minute).toBe(3.667); // 220 / 60
    expect(body.logs_per_second).toBe(0.061); // 220 / 3600
    expect(body.active_services).toBe(3);
    expect(body.error_count).toBe(26);
    expect(body.error_rate).toBe(11.82); // 26 / 220
    expect(body.levels).toEqual({ DEBUG: 0, INFO: 188, WARNING: 6, ERROR: 21, CRITICAL: 5 });
    // Grouped by pattern: each of these messages is a template of its own.
    const pattern = expect.any(String);
    expect(body.top_errors).toEqual([
      { message: "db timeout", count: 15, pattern },
      { message: "disk full", count: 5, pattern },
      { message: "card declined", count: 4, pattern },
      { message: "x", count: 2, pattern },
    ]);
    const byName = Object.fromEntries(body.services.map((s: Json) => [s.name, s]));
    expect(byName[a]).toEqual({
      name: a,
      total_logs: 100,
      error_count: 20,
      error_rate: 20,
      health: "unhealthy",
    });
    expect(byName[b]).toEqual({ name: b, total_logs: 100, error_count: 4, error_rate: 4, health: "healthy" });
    expect(byName[c]).toEqual({
      name: c,
      total_logs: 20,
      error_count: 2,
      error_rate: 10,
      health: "degraded",
    });
    expect(body.trend).toEqual({
      previous_total_logs: 110,
      previous_error_rate: 0,
      change_percent: 100,
      error_rate_change: 11.82,
      direction: "up",
    });
  });

  test("defaults to 60 minutes and refuses a bad window with 400 naming it", async () => {
    expect((await get("/api/v1/metrics/overview")).body.window_minutes).toBe(60);
    const bad = await get("/api/v1/metrics/overview?window_minutes=0");
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe("window_minutes");
  });
});

describe("GET /api/v1/metrics/service/{name}", () => {
  test("one service's figures and health", async () => {
    const { status, body } = await get(`/api/v1/metrics/service/${a}`);
    expect(status).toBe(200);
    expect(body.total_logs).toBe(100);
    expect(body.error_rate).toBe(20);
    expect(body.health).toBe("unhealthy");
    expect(body.top_errors[0]).toMatchObject({ message: "db timeout", count: 15 });
    expect(body.trend.previous_total_logs).toBe(110);
    expect(body.trend.change_percent).toBe(-9.09);
    expect(body.trend.direction).toBe("down");
  });

  test("an unknown service is 404", async () => {
    expect((await get(`/api/v1/metrics/service/${freshService("none")}`)).status).toBe(404);
  });
});

describe("GET /api/v1/metrics/system", () => {
  test("store stats, ingest rate, queue lag and connections", async () => {
    const { status, body } = await get("/api/v1/metrics/system");
    expect(status).toBe(200);
    expect(body.store.events).toBe(331);
    expect(body.ingest.logs_last_minute).toBe(60); // NOW - 1 s … NOW - 60 s: both ends inclusive
    expect(body.ingest.queue_lag).toBe(0);
    expect(body.database.connections).toBeGreaterThanOrEqual(1);
    expect(body.uptime_seconds).toBeGreaterThanOrEqual(0);
  });
});

describe("GET /api/v1/metrics/timeseries", () => {
  test("buckets per level, empty ones as zeros, summing to the window's count", async () => {
    const { status, body } = await get("/api/v1/metrics/timeseries?interval=1m&window_minutes=10");
    expect(status).toBe(200);
    expect(body.buckets).toHaveLength(11); // NOW - 10 m is 30 s into a minute: 10 whole minutes and a part
    const total = body.buckets.reduce((s: number, x: Json) => s + x.count, 0);
    expect(total).toBe(219); // every current event but the one at NOW - 60 m
    expect(body.buckets[0]).toEqual({
      timestamp: new Date(NOW - 10 * MINUTE - 30_000).toISOString(),
      count: 0,
      errors: 0,
      levels: { DEBUG: 0, INFO: 0, WARNING: 0, ERROR: 0, CRITICAL: 0 },
    });
    const last = body.buckets[10];
    expect(last.timestamp).toBe(new Date(NOW - 30_000).toISOString());
    expect(last.count).toBe(30); // NOW - 1 s … NOW - 30 s (the bucket start is inclusive)
    const levelSum = body.buckets.reduce((s: number, x: Json) => s + x.levels.ERROR + x.levels.CRITICAL, 0);
    expect(levelSum).toBe(26);
  });

  test("a service filter, and intervals from 1s to 1d only", async () => {
    const { body } = await get(`/api/v1/metrics/timeseries?interval=1h&window_minutes=180&service=${c}`);
    expect(body.buckets.reduce((s: number, x: Json) => s + x.count, 0)).toBe(20);
    const bad = await get("/api/v1/metrics/timeseries?interval=7w");
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe("interval");
  });
});
