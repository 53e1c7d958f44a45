import { beforeAll, describe, expect, test } from "bun:test";
import { freshService, ingest, suiteApp } from "../helpers/app.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

const t = suiteApp();
const service = freshService("ctx");
const other = freshService("ctx-other");
const base = Date.now() - 60 * 60_000;
type Log = { id: string; message: string; service: string; timestamp: string };
const ids: string[] = [];

beforeAll(async () => {
  const events = [];
  // 40 lines a minute apart, two of them (20 and 21) in the same millisecond; the other service interleaves.
  for (let i = 0; i < 40; i++) {
    const ts = base + (i === 21 ? 20 : i) * 60_000;
    events.push({ service, message: `line ${i}`, timestamp: ts });
    events.push({ service: other, message: `noise ${i}`, timestamp: ts + 1 });
  }
  // Far from the rest: "after" must find it across a long gap.
  events.push({ service, message: "line late", timestamp: base + 55 * 60_000 });
  expect(((await (await ingest(t, events)).json()) as { accepted: number }).accepted).toBe(81);
  const res = await t.request(`/api/v1/logs/search?service=${service}&limit=1000`);
  const page = (await res.json()) as { logs: Log[] };
  ids.push(...page.logs.reverse().map((l) => l.id)); // oldest first, in the store's order
}, 60_000);

async function context(id: string, q = "") {
  const res = await t.request(`/api/v1/logs/${id}/context${q}`);
  return {
    status: res.status,
    body: (await res.json()) as { log: Log; before: Log[]; after: Log[] } & Record<string, unknown>,
  };
}

describe("GET /api/v1/logs/{id}/context", () => {
  test("the lines just before and after, oldest first, from the same service only", async () => {
    const hit = ids[10]!;
    const { status, body } = await context(hit, "?before=3&after=4");
    expect(status).toBe(200);
    expect(body.log.id).toBe(hit);
    expect(body.before.map((l) => l.id)).toEqual(ids.slice(7, 10));
    expect(body.after.map((l) => l.id)).toEqual(ids.slice(11, 15));
    expect([...body.before, ...body.after].every((l) => l.service === service)).toBe(true);
  });

  test("defaults to 10 each side", async () => {
    const { body } = await context(ids[20]!);
    expect(body.before.map((l) => l.id)).toEqual(ids.slice(10, 20));
    expect(body.after.map((l) => l.id)).toEqual(ids.slice(21, 31));
  });

  test("lines in the same millisecond fall on the side their id puts them", async () => {
    const a = await context(ids[20]!, "?before=1&after=1");
    const b = await context(ids[21]!, "?before=1&after=1");
    expect(a.body.after[0]!.id).toBe(ids[21]!);
    expect(b.body.before[0]!.id).toBe(ids[20]!);
  });

  test("is short at the ends of the service's history, and reaches across a long gap", async () => {
    const first = await context(ids[0]!, "?before=5&after=2");
    expect(first.body.before).toEqual([]);
    expect(first.body.after.map((l) => l.id)).toEqual(ids.slice(1, 3));
    const last = await context(ids[39]!, "?before=0&after=5");
    expect(last.body.before).toEqual([]);
    expect(last.body.after.map((l) => l.message)).toEqual(["line late"]);
  });

  test("bounds the counts and answers 404 for an unknown id", async () => {
    const tooMany = await context(ids[5]!, "?before=101");
    expect(tooMany.status).toBe(400);
    expect(JSON.stringify(tooMany.body)).toContain("before");
    const missing = await context("0190d7a4-0000-7000-8000-000000000000");
    expect(missing.status).toBe(404);
  });
});
