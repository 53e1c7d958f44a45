import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sql } from "postgres";
import { connectPostgres } from "../core/adapters/postgres/connect.ts";
import { migrate } from "../core/adapters/postgres/migrate.ts";
import { PostgresPatternRepo } from "../core/adapters/postgres/pattern-repo.ts";
import type { LogEvent } from "../core/log-event.ts";
import { PatternAssigner } from "../core/patterns/assigner.ts";
import { MIGRATIONS } from "../db/migrations/index.ts";
import { freshPostgresDatabase, postgresReachable } from "./helpers/engines.ts";
import { logEvent } from "./helpers/events.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";

integrationTimeouts();

const reachable = await postgresReachable();

const T0 = Date.UTC(2026, 10, 1, 12);

function events(service: string, messages: string[], from = T0): LogEvent[] {
  return messages.map((message, i) => logEvent(from + i * 1000, { service, message }));
}

async function assigned(
  a: PatternAssigner,
  service: string,
  messages: string[],
  from = T0,
): Promise<string[]> {
  const batch = events(service, messages, from);
  await a.assign(batch);
  return batch.map((e) => e.pattern!);
}

/** A service's lines in a fixed order: a few templates whose values vary. */
function lines(n: number, offset = 0): string[] {
  const shapes = [
    (i: number) => `GET /api/v1/users/u_${i * 7919}/profile 500 in ${i % 900} ms`,
    (i: number) => `PacketResponder ${i % 3} for block blk_${i * 104729} terminating`,
    (i: number) => `Failed password for root from 10.0.${i % 255}.${i % 7} port ${i} ssh2`,
    (i: number) => `cache miss for key session:${i.toString(16)}`,
  ];
  return Array.from({ length: n }, (_, k) => shapes[(k + offset) % shapes.length]!(k + offset));
}

describe.skipIf(!reachable)("patterns on Postgres", () => {
  let sql: Sql;
  let drop: () => Promise<void>;
  let repo: PostgresPatternRepo;

  beforeAll(async () => {
    const db = await freshPostgresDatabase();
    drop = db.drop;
    sql = connectPostgres(db.url, { max: 4, applicationName: "logflow-test" });
    await migrate(sql, MIGRATIONS);
    repo = new PostgresPatternRepo(sql);
  });

  afterAll(async () => {
    await sql?.end();
    await drop?.();
  });

  test("every event gets the id of its template; the templates are stored with counts and first/last seen", async () => {
    const a = new PatternAssigner({ repo, node: "a" });
    const ids = await assigned(a, "checkout", lines(8));
    expect(new Set(ids).size).toBe(4);
    expect(ids.slice(0, 4)).toEqual(ids.slice(4, 8));
    // New templates are stored before assign resolves, counts with the flush.
    expect((await repo.get(ids)).length).toBe(4);
    await a.flush();
    const rows = await repo.get([ids[0]!]);
    expect(rows[0]).toMatchObject({
      service: "checkout",
      template: "GET /api/<*>/users/u_<*>/profile <*> in <*>",
      count: 2,
      firstSeen: T0,
      lastSeen: T0 + 4000,
      mergedInto: null,
    });
  });

  test("the same lines give the same ids in another process, without talking", async () => {
    const a = new PatternAssigner({ node: "a" });
    const b = new PatternAssigner({ node: "b" });
    expect(await assigned(a, "svc", lines(40))).toEqual(await assigned(b, "svc", lines(40)));
  });

  test("a restart goes on with the ids it handed out, from the state it saved", async () => {
    const service = "restart";
    const before = new PatternAssigner({ repo, node: "n1" });
    await assigned(before, service, lines(200));
    await before.close();
    const later = lines(100, 200);
    const restarted = new PatternAssigner({ repo, node: "n1" });
    const kept = new PatternAssigner({ repo: undefined, node: "x" });
    // The same history, kept in memory all along.
    await assigned(kept, service, lines(200));
    expect(await assigned(restarted, service, later)).toEqual(await assigned(kept, service, later));
  });

  test("two indexers that named one template differently agree on one id after a sync; the other id resolves to it", async () => {
    const service = "cluster";
    const a = new PatternAssigner({ repo, node: "indexer-a" });
    const b = new PatternAssigner({ repo, node: "indexer-b" });
    // a names it an hour after b first saw it; a's id is the smaller one and survives.
    const [idA] = await assigned(
      a,
      service,
      ["Connection closed by host-a.example.com [preauth]"],
      T0 + 3_600_000,
    );
    const [idB] = await assigned(b, service, ["Connection closed by host-b.example.org [preauth]"]);
    expect(idA).not.toBe(idB);

    await a.flush();
    await b.flush(); // b absorbs a's state
    await a.flush(); // a absorbs b's
    const [nextA] = await assigned(a, service, ["Connection closed by host-c.example.net [preauth]"]);
    const [nextB] = await assigned(b, service, ["Connection closed by host-d.example.net [preauth]"]);
    const [survivor, merged] = [idA!, idB!].sort() as [string, string];
    expect(nextA).toBe(survivor);
    expect(nextB).toBe(survivor);
    expect(a.resolve(service, merged)).toBe(survivor);
    expect(b.resolve(service, merged)).toBe(survivor);
    const rows = await repo.get([merged, survivor]);
    expect(rows.find((r) => r.id === merged)?.mergedInto).toBe(survivor);
    // The survivor is as old as the older of the two.
    expect(rows.find((r) => r.id === survivor)?.firstSeen).toBe(T0);
  });

  test("memory is bounded by services: the least recently active miner goes, and comes back with its ids", async () => {
    const a = new PatternAssigner({ repo, node: "bounded", maxServices: 2 });
    const first = await assigned(a, "s1", lines(20));
    for (const s of ["s2", "s3", "s4"]) await assigned(a, s, lines(20));
    await a.flush();
    expect(a.services).toBe(2);
    const kept = new PatternAssigner({ node: "x" });
    expect(await assigned(kept, "s1", lines(20))).toEqual(first);
    expect(await assigned(a, "s1", lines(20, 20))).toEqual(await assigned(kept, "s1", lines(20, 20)));
  });

  test("a batch gives other work its turns while it is mined", async () => {
    // No repo: nothing to load, so only the mining itself can give way.
    const a = new PatternAssigner({ node: "turns", sliceMs: 0 });
    let turns = 0;
    const timer = setInterval(() => turns++, 0);
    try {
      await a.assign(events("turns", lines(50)));
    } finally {
      clearInterval(timer);
    }
    expect(turns).toBeGreaterThan(0);
  });

  test("a flush while a batch gives way, evicting one of its miners, changes no id", async () => {
    const a = new PatternAssigner({ repo, node: "sliced", maxServices: 1, sliceMs: 0 });
    // Two services taking turns: whenever the batch gives way, the one it is not on is the one to evict.
    const one = events("sliced-1", lines(100));
    const two = events("sliced-2", lines(100, 3));
    const batch = one.flatMap((e, i) => [e, two[i]!]);
    const timer = setInterval(() => a.flush().catch(() => {}), 0);
    try {
      await a.assign(batch);
    } finally {
      clearInterval(timer);
    }
    const alone = new PatternAssigner({ node: "alone" });
    expect(one.map((e) => e.pattern)).toEqual(await assigned(alone, "sliced-1", lines(100)));
    expect(two.map((e) => e.pattern)).toEqual(await assigned(alone, "sliced-2", lines(100, 3)));
    await a.flush();
    expect(a.services).toBe(1);
  });

  test("retention forgets templates last seen before the cutoff, and keeps the others", async () => {
    const a = new PatternAssigner({ repo, node: "retention" });
    const t = Date.UTC(2026, 9, 1);
    const [gone] = await assigned(a, "retention", ["legacy importer finished batch"], t);
    const [kept] = await assigned(a, "retention", ["current importer finished batch"], t + 10 * 86_400_000);
    await a.flush();
    expect(await repo.deleteOlderThan(t + 86_400_000)).toBeGreaterThanOrEqual(1);
    expect((await repo.get([gone!, kept!])).map((r) => r.id)).toEqual([kept!]);
  });

  test("templates first seen in a range, for new-pattern alerts", async () => {
    const a = new PatternAssigner({ repo, node: "seen" });
    const t = Date.UTC(2026, 10, 2);
    const [old] = await assigned(a, "alerting", ["worker started with 4 threads"], t);
    const [fresh] = await assigned(a, "alerting", ["disk quota exceeded on /var/lib/data"], t + 60_000);
    await a.flush();
    const found = await repo.firstSeenIn(t + 30_000, t + 120_000, ["alerting"], 10);
    expect(found.map((p) => p.id)).toEqual([fresh!]);
    expect(found.map((p) => p.id)).not.toContain(old!);
  });
});
