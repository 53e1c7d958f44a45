import { beforeAll, describe, expect, test } from "bun:test";
import { freshService, ingest, type Json, suiteApp, suiteClockPastMinute } from "../helpers/app.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

const MINUTE = 60_000;
const t = suiteApp();
const NOW = suiteClockPastMinute(t);
const service = freshService("checkout");
const other = freshService("auth");

beforeAll(async () => {
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
      "/api/v1/logs/stats?serivce=x",
      "/api/v1/logs/fields?serivce=x",
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

describe("GET /api/v1/logs/stats", () => {
  test("count by service and level over any query, largest first", async () => {
    const { status, body } = await get(
      `/api/v1/logs/stats?since=1h&by=service,level&query=${q(`service:(${service} OR ${other})`)}`,
    );
    expect(status).toBe(200);
    expect(body.total).toBe(21);
    expect(body.by).toEqual(["service", "level"]);
    expect(body.aggs).toEqual(["count"]);
    expect(body.buckets).toEqual([
      { group: { service, level: "INFO" }, values: { count: 15 } },
      { group: { service, level: "ERROR" }, values: { count: 5 } },
      { group: { service: other, level: "ERROR" }, values: { count: 1 } },
    ]);
  });

  test("percentiles, avg, min, max of a numeric attribute; top-N with the rest as other", async () => {
    const { body } = await get(
      `/api/v1/logs/stats?since=1h&by=host&limit=2&agg=count,p50(latency_ms),avg(latency_ms),min(latency_ms),max(latency_ms)&query=${q(`service:${service}`)}`,
    );
    // web-0: i = 0,3,…,18 (7 events), web-1: 1,4,…,19 (7), web-2: 2,5,…,17 (6); latency 50 i.
    expect(body.buckets).toEqual([
      {
        group: { host: "web-0" },
        values: {
          count: 7,
          "p50(latency_ms)": 450,
          "avg(latency_ms)": 450,
          "min(latency_ms)": 0,
          "max(latency_ms)": 900,
        },
      },
      {
        group: { host: "web-1" },
        values: {
          count: 7,
          "p50(latency_ms)": 500,
          "avg(latency_ms)": 500,
          "min(latency_ms)": 50,
          "max(latency_ms)": 950,
        },
      },
      {
        group: {},
        other: true,
        values: {
          count: 6,
          "p50(latency_ms)": 475,
          "avg(latency_ms)": 475,
          "min(latency_ms)": 100,
          "max(latency_ms)": 850,
        },
      },
    ]);
  });

  test("time buckets with zeros present, grouped by an attribute", async () => {
    const FIVE = 5 * MINUTE;
    const from = Math.floor((NOW - 15 * MINUTE) / FIVE) * FIVE;
    const { body } = await get(
      `/api/v1/logs/stats?start_time=${from}&end_time=${NOW}&interval=5m&by=status_code&query=${q(`service:${service}`)}`,
    );
    expect(body.interval).toBe("5m");
    const starts = [...new Set(body.buckets.map((b: Json) => b.start))];
    const buckets = Math.floor(NOW / FIVE) - from / FIVE + 1;
    expect(starts).toEqual(
      Array.from({ length: buckets }, (_, k) => new Date(from + k * FIVE).toISOString()),
    );
    expect(body.buckets.length).toBe(buckets * 2);
    // status 502 at i = 0, 5, 10, 15, stamped NOW − 1 s − 30 s · i.
    const want = starts.map(
      (_, k) =>
        [0, 5, 10, 15].filter((i) => {
          const ts = NOW - 1000 - i * 30_000;
          return ts >= from + k * FIVE && ts < from + (k + 1) * FIVE;
        }).length,
    );
    expect(
      body.buckets.filter((b: Json) => b.group.status_code === "502").map((b: Json) => b.values.count),
    ).toEqual(want);
    expect(want.includes(0)).toBe(true);
  });

  test("bad by, agg and interval are 400s naming the parameter", async () => {
    for (const [param, path] of [
      ["agg", "agg=median(x)"],
      ["agg", "agg=avg(level)"],
      ["by", "by=not a field"],
      ["interval", "interval=1w"],
      ["interval", "since=7d&interval=1s"],
    ] as const) {
      const { status, body } = await get(`/api/v1/logs/stats?${path}`);
      expect({ path, status, field: body.errors?.[0]?.field }).toEqual({ path, status: 400, field: param });
    }
  });
});

describe("GET /api/v1/logs/fields", () => {
  test("the fields of the matching events with their top values, names as typed in a query", async () => {
    const { status, body } = await get(`/api/v1/logs/fields?since=1h&top=2&query=${q(`service:${service}`)}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ total: 20, sampled: false, sample_size: 20 });
    const byName = Object.fromEntries(body.fields.map((f: Json) => [f.name, f]));
    expect(byName.level).toEqual({
      name: "level",
      kind: "column",
      count: 20,
      distinct: 2,
      top: [
        { value: "INFO", count: 15 },
        { value: "ERROR", count: 5 },
      ],
    });
    expect(byName.status_code).toEqual({
      name: "status_code",
      kind: "attribute",
      count: 20,
      distinct: 2,
      top: [
        { value: "200", count: 16 },
        { value: "502", count: 4 },
      ],
    });
    expect(byName.host.distinct).toBe(3);
    expect(byName.trace_id).toBeUndefined();
  });
});
