import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { openEmbeddedDatabase } from "../core/adapters/pglite/open.ts";
import { PostgresArrivals } from "../core/adapters/postgres/arrivals.ts";
import { EMBEDDED_STORE_OPTIONS, PostgresLogStore } from "../core/adapters/postgres/log-store.ts";
import { migrate } from "../core/adapters/postgres/migrate.ts";
import type { ArrivalPage, ArrivalPosition, LogArrivals } from "../core/ports/log-arrivals.ts";
import { parseLogQuery } from "../core/query/parse.ts";
import { TailCursor } from "../core/tail/cursor.ts";
import { ArrivalFeed, pokeOnWrite } from "../core/tail/feed.ts";
import { MIGRATIONS } from "../db/migrations/index.ts";
import { logEvent } from "./helpers/events.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";

integrationTimeouts();

/** The real arrivals, with each read recorded: the feed's own (no `until`) and tails' catch-ups. */
class RecordedArrivals implements LogArrivals {
  feedReads = 0;
  catchUps = 0;
  constructor(private readonly inner: LogArrivals) {}
  head() {
    return this.inner.head();
  }
  parse(text: string) {
    return this.inner.parse(text);
  }
  read(after: ArrivalPosition, opts: { limit: number; until?: ArrivalPosition }): Promise<ArrivalPage> {
    if (opts.until === undefined) this.feedReads++;
    else this.catchUps++;
    return this.inner.read(after, opts);
  }
}

let db: Awaited<ReturnType<typeof openEmbeddedDatabase>>;
let store: PostgresLogStore;

beforeAll(async () => {
  db = await openEmbeddedDatabase("memory://");
  await migrate(db.sql, MIGRATIONS);
  store = new PostgresLogStore(db.sql, EMBEDDED_STORE_OPTIONS);
}, 60_000);
afterAll(async () => {
  await db?.close();
});

const fresh = () => `feed-${crypto.randomUUID().slice(0, 8)}`;

function feedWith(o: { keepEvents?: number; pageSize?: number; pollMs?: number } = {}) {
  const arrivals = new RecordedArrivals(new PostgresArrivals(db.sql));
  const feed = new ArrivalFeed(arrivals, {
    pollMs: o.pollMs ?? 20,
    pageSize: o.pageSize ?? 1000,
    keepEvents: o.keepEvents ?? 1000,
  });
  return { arrivals, feed };
}

/** Every matching event a cursor gives until it has `n` (or 10 s pass). */
async function take(cursor: TailCursor, n: number): Promise<string[]> {
  const out: string[] = [];
  const deadline = Date.now() + 10_000;
  while (out.length < n && Date.now() < deadline) {
    const step = await cursor.next(200);
    out.push(...step.events.map((a) => a.event.message));
  }
  return out;
}

describe("the shared feed", () => {
  test("tails at the head take from the feed's reads, never the store themselves, each with its own query", async () => {
    const { arrivals, feed } = feedWith();
    const a = fresh();
    const b = fresh();
    const leaves = Array.from({ length: 20 }, () => feed.join());
    const cursors = await Promise.all(
      Array.from({ length: 20 }, (_, i) => TailCursor.open(feed, parseLogQuery(`service:${i % 2 ? a : b}`))),
    );
    await store.write([logEvent(Date.now(), { service: a, message: "to a" })]);
    await store.write([logEvent(Date.now(), { service: b, message: "to b" })]);
    const got = await Promise.all(cursors.map((c) => take(c, 1)));
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => [i % 2 ? "to a" : "to b"]));
    expect(arrivals.catchUps).toBe(0);
    expect(arrivals.feedReads).toBeGreaterThan(0);
    for (const leave of leaves) leave();
  });

  test("a tail further behind than the feed keeps reads the store up to the feed's head, then rejoins it", async () => {
    const { arrivals, feed } = feedWith({ keepEvents: 5, pageSize: 3 });
    const service = fresh();
    const leave = feed.join();
    const cursor = await TailCursor.open(feed, parseLogQuery(`service:${service}`));
    const messages = Array.from({ length: 20 }, (_, i) => `line ${i}`);
    for (const [i, message] of messages.entries()) {
      await store.write([logEvent(Date.now() - (i % 3) * 3_600_000, { service, message })]);
    }
    // Let the feed move well past what it keeps before the tail asks.
    while ((feed.since(cursor.position) ?? null) !== null) await Bun.sleep(20);
    expect(await take(cursor, 20)).toEqual(messages);
    expect(arrivals.catchUps).toBeGreaterThan(0);

    const catchUps = arrivals.catchUps;
    await store.write([logEvent(Date.now(), { service, message: "after rejoining" })]);
    expect(await take(cursor, 1)).toEqual(["after rejoining"]);
    expect(arrivals.catchUps).toBe(catchUps);
    leave();
  });

  test("stops reading when the last tail leaves; the next tail starts from the store's head then", async () => {
    const { arrivals, feed } = feedWith();
    const service = fresh();
    const leave = feed.join();
    await TailCursor.open(feed, parseLogQuery(`service:${service}`));
    await Bun.sleep(100);
    leave();
    await Bun.sleep(100);
    const reads = arrivals.feedReads;
    await Bun.sleep(200);
    expect(arrivals.feedReads).toBe(reads);

    await store.write([logEvent(Date.now(), { service, message: "while nobody watched" })]);
    const again = feed.join();
    const cursor = await TailCursor.open(feed, parseLogQuery(`service:${service}`));
    await store.write([logEvent(Date.now(), { service, message: "watched" })]);
    expect(await take(cursor, 1)).toEqual(["watched"]);
    expect((await cursor.next(100)).events).toEqual([]);
    again();
  });

  test("a write of this process is read at once, not at the next poll", async () => {
    // A poll a minute apart: only the write's poke can bring the event within the test's time.
    const { feed } = feedWith({ pollMs: 60_000 });
    const service = fresh();
    const leave = feed.join();
    const cursor = await TailCursor.open(feed, parseLogQuery(`service:${service}`));
    await pokeOnWrite(store, feed).write([logEvent(Date.now(), { service, message: "poked" })]);
    const step = await cursor.next(20_000);
    expect(step.events.map((a) => a.event.message)).toEqual(["poked"]);
    leave();
    feed.stop();
  });

  test("with nothing to give, a wait ends after its time with the position reached, on the clock given", async () => {
    const { feed } = feedWith();
    const leave = feed.join();
    const cursor = await TailCursor.open(feed, parseLogQuery(`service:${fresh()}`));
    let clock = 0;
    // A clock that has already passed the deadline: the wait ends at once, without a timer.
    const step = await cursor.next(15_000, undefined, () => (clock += 20_000));
    expect(step.events).toEqual([]);
    expect(step.position).toBe(cursor.position);
    leave();
  });
});
