import { beforeAll, describe, expect, test } from "bun:test";
import { freshService, ingest, suiteApp } from "../helpers/app.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

const t = suiteApp();
const service = freshService("search");
const other = freshService("other");
const now = Date.now();
const correlation = crypto.randomUUID();

beforeAll(async () => {
  const events = [];
  for (let i = 0; i < 30; i++) {
    events.push({
      service,
      level: i % 10 === 0 ? "ERROR" : i % 5 === 0 ? "WARNING" : "INFO",
      message: i % 3 === 0 ? `payment timeout after ${i}ms` : `payment ok order=${i}`,
      timestamp: now - i * 60_000,
      correlation_id: i < 3 ? correlation : undefined,
    });
  }
  events.push({ service: other, level: "ERROR", message: "payment timeout elsewhere", timestamp: now });
  const res = await ingest(t, events);
  expect(((await res.json()) as { accepted: number }).accepted).toBe(31);
}, 60_000);

type Page = { total: number; logs: Array<Record<string, string>>; next_cursor: string | null };
async function get(query: string): Promise<{ status: number; body: Page & Record<string, unknown> }> {
  const res = await t.request(`/api/v1/logs/search?${query}`);
  return { status: res.status, body: (await res.json()) as Page & Record<string, unknown> };
}

describe("GET /api/v1/logs/search", () => {
  test("text, service and level combine; level aliases work as in the seed's example", async () => {
    const { body } = await get(`service=${service}&query=timeout`);
    expect(body.total).toBe(10);
    const errors = await get(`service=${service}&level=ERROR&query=timeout`);
    expect(errors.body.total).toBe(1); // errors are i = 0, 10, 20; timeouts i % 3 == 0
    const warn = await get(`service=${service}&level=WARN`);
    expect(warn.body.logs.every((l) => l.level === "WARNING")).toBe(true);
    const both = await get(`service=${service}&level=ERROR&level=WARNING`);
    expect(both.body.total).toBe(6);
    const comma = await get(`service=${service}&level=error,warning`);
    expect(comma.body.total).toBe(6);
  });

  test("newest first, and a cursor walks every page without gaps or repeats", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const { body }: { body: Page } = await get(
        `service=${service}&limit=7${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(body.total).toBe(30);
      for (let i = 1; i < body.logs.length; i++) {
        expect(body.logs[i - 1]!.timestamp! >= body.logs[i]!.timestamp!).toBe(true);
      }
      seen.push(...body.logs.map((l) => l.id!));
      cursor = body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(5);
    expect(new Set(seen).size).toBe(30);
  });

  test("since and start/end time bound the range", async () => {
    expect((await get(`service=${service}&since=15m`)).body.total).toBe(15); // i = 0..14 (i*1m < 15m)
    const start = new Date(now - 10 * 60_000).toISOString();
    const end = new Date(now - 5 * 60_000).toISOString();
    const ranged = await get(`service=${service}&start_time=${start}&end_time=${end}`);
    expect(ranged.body.total).toBe(6); // i = 5..10 inclusive
  });

  test("correlation id filter", async () => {
    expect((await get(`correlation_id=${correlation}`)).body.total).toBe(3);
  });

  test("bad parameters are 400 problems naming the parameter", async () => {
    for (const [q, field] of [
      ["limit=1001", "limit"],
      ["limit=abc", "limit"],
      ["level=LOUD", "level"],
      ["since=forever", "since"],
      ["start_time=yesterday", "start_time"],
      ["since=1h&start_time=2026-01-01T00:00:00Z", "since"],
      ["start_time=2026-01-02T00:00:00Z&end_time=2026-01-01T00:00:00Z", "end_time"],
      ["cursor=not-a-cursor", "cursor"],
    ] as const) {
      const { status, body } = await get(q);
      expect(status).toBe(400);
      expect((body.errors as { field: string }[]).map((e) => e.field)).toContain(field);
    }
  });

  test("search text is data, never query syntax", async () => {
    for (const q of [
      "' OR 1=1 --",
      "*:*",
      '"unbalanced',
      "\\",
      "%_%",
      "); drop table logs; --",
      "a & b | !c <-> d:*",
    ]) {
      const { status, body } = await get(`service=${service}&query=${encodeURIComponent(q)}`);
      expect(status).toBe(200);
      expect(body.total).toBeLessThanOrEqual(30);
    }
    expect((await get(`service=${service}`)).body.total).toBe(30);
  });
});

describe("GET /api/v1/logs/recent and /{id}", () => {
  test("recent returns newest first, bounded by limit", async () => {
    const res = await t.request("/api/v1/logs/recent?limit=5");
    const body = (await res.json()) as { logs: Array<{ timestamp: string }>; count: number };
    expect(body.count).toBe(5);
    expect(body.logs[0]!.timestamp >= body.logs[4]!.timestamp).toBe(true);
  });

  test("a log by id, and 404 problems for absent or malformed ids", async () => {
    const { body } = await get(`service=${other}`);
    const id = body.logs[0]!.id!;
    const res = await t.request(`/api/v1/logs/${id}`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { message: string }).message).toBe("payment timeout elsewhere");
    for (const missing of ["0190b8c4-0000-7000-8000-000000000000", "not-a-uuid", "%27%20OR%201%3D1"]) {
      const r = await t.request(`/api/v1/logs/${missing}`);
      expect(r.status).toBe(404);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
    }
  });
});
