import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sql } from "postgres";
import { connectPostgres } from "../core/adapters/postgres/connect.ts";
import { PostgresLogStore, type PostgresLogStoreOptions } from "../core/adapters/postgres/log-store.ts";
import { migrate } from "../core/adapters/postgres/migrate.ts";
import { DAY_MS, partitionName } from "../core/adapters/postgres/partitions.ts";
import type { LogEvent } from "../core/log-event.ts";
import { MIGRATIONS } from "../db/migrations/index.ts";
import { freshPostgresDatabase, postgresReachable } from "./helpers/engines.ts";
import { logEvent } from "./helpers/events.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";
import { runLogStoreConformance } from "./log-store-conformance.ts";

integrationTimeouts();

// Throws when LOGFLOW_REQUIRE_ENGINES names postgres and the server is absent, so CI cannot skip.
const reachable = await postgresReachable();

async function openStoreDatabase(): Promise<{ sql: Sql; url: string; drop(): Promise<void> }> {
  const db = await freshPostgresDatabase();
  const sql = connectPostgres(db.url, { max: 4, applicationName: "logflow-test" });
  await migrate(sql, MIGRATIONS);
  return { sql, url: db.url, drop: db.drop };
}

describe.skipIf(!reachable)("Postgres 15 server", () => {
  /** A store with these options on a fresh, migrated database, for the conformance suite. */
  const storeWith = (opts: PostgresLogStoreOptions) => async () => {
    const db = await openStoreDatabase();
    return {
      store: new PostgresLogStore(db.sql, opts),
      async close() {
        await db.sql.end({ timeout: 5 });
        await db.drop();
      },
    };
  };

  runLogStoreConformance("Postgres store on a Postgres server", storeWith({}));

  // The store matches text on the rows other conditions select when they are few (most tests here), and
  // through the full-text index otherwise: the suite again with the index always, for the same answers.
  runLogStoreConformance(
    "Postgres store on a Postgres server, text always through the index",
    storeWith({ textScanBelowRows: 0 }),
  );

  // Batches of 100 rows or more go through COPY (most tests here write fewer): the suite again with every
  // write a COPY, and retention deleting one row per transaction (10,000 otherwise; tests keep fewer).
  runLogStoreConformance(
    "Postgres store on a Postgres server, every write a COPY, retention one row at a time",
    storeWith({ copyFromRows: 1, retentionSliceRows: 1 }),
  );

  // What only the Postgres adapter has: partitions shared by several processes, each with its own cache.
  describe("partitions across processes", () => {
    let db: Awaited<ReturnType<typeof openStoreDatabase>>;
    const pools: Sql[] = [];

    /** A store with its own pool and partition cache, as another process would have. */
    function otherProcess(): PostgresLogStore {
      const sql = connectPostgres(db.url, { max: 2 });
      pools.push(sql);
      return new PostgresLogStore(sql);
    }

    function event(ts: number, service: string): LogEvent {
      return logEvent(ts, { received_at: new Date().toISOString(), service, message: "partition test" });
    }

    beforeAll(async () => {
      db = await openStoreDatabase();
    }, 60_000);

    afterAll(async () => {
      await Promise.all(pools.map((p) => p.end({ timeout: 5 })));
      await db?.sql.end({ timeout: 5 });
      await db?.drop();
    }, 30_000);

    test("concurrent writers creating the same new days all succeed", async () => {
      const firstDay = Math.floor(Date.now() / DAY_MS) - 500;
      const stores = Array.from({ length: 6 }, () => otherProcess());
      const results = await Promise.all(
        stores.map((store, i) =>
          store.write(
            Array.from({ length: 50 }, (_, j) =>
              event((firstDay + (j % 3)) * DAY_MS + i * 1000 + j, `w${i}`),
            ),
          ),
        ),
      );
      for (const r of results) expect(r).toEqual({ written: 50, duplicates: 0 });
      const tables = await db.sql<{ n: number }[]>`
        select count(*)::int as n from pg_class
        where relname in ${db.sql([0, 1, 2].map((d) => partitionName(firstDay + d)))}`;
      expect(tables[0]?.n).toBe(3);
    });

    test("a writer whose cached day was dropped by another process's retention writes again", async () => {
      const day = Math.floor(Date.now() / DAY_MS) - 400;
      const writer = otherProcess();
      const retention = otherProcess();
      expect(await writer.write([event(day * DAY_MS + 1000, "stale")])).toEqual({
        written: 1,
        duplicates: 0,
      });
      expect(await retention.deleteOlderThan((day + 1) * DAY_MS)).toBeGreaterThanOrEqual(1);
      const again = event(day * DAY_MS + 2000, "stale");
      expect(await writer.write([again])).toEqual({ written: 1, duplicates: 0 });
      expect(await retention.get(again.id)).toEqual(again);
    });

    test("overlapping batches written at once (a replay racing the original) all succeed and count once", async () => {
      const db = await openStoreDatabase();
      try {
        const store = new PostgresLogStore(db.sql);
        const now = Date.now();
        const all = Array.from({ length: 3000 }, (_, i) =>
          logEvent(now - 60_000 + i * 7, {
            received_at: new Date(now).toISOString(),
            service: `svc-${i % 3}`,
            level: i % 5 === 0 ? "ERROR" : "INFO",
            message: `event ${i}`,
          }),
        );
        // Six writers, each a shuffled half of the events: every pair overlaps, in different orders.
        let seed = 11;
        const rand = () => {
          seed = (seed * 48_271) % 2_147_483_647;
          return seed / 2_147_483_647;
        };
        const batches = Array.from({ length: 6 }, () =>
          all.filter(() => rand() < 0.5).sort(() => rand() - 0.5),
        );
        // One connection per writer, as six indexer or API processes would have.
        const pools = batches.map(() => connectPostgres(db.url, { max: 1 }));
        const results = await Promise.all(
          batches.map((b, k) => new PostgresLogStore(pools[k]!).write(b)),
        ).finally(() => Promise.all(pools.map((p) => p.end({ timeout: 5 }))));
        const stored = new Set(batches.flat().map((e) => e.id)).size;
        expect(results.reduce((n, r) => n + r.written, 0)).toBe(stored);
        expect(await store.count({})).toBe(stored);
        const [row] = await db.sql<{ n: number }[]>`select coalesce(sum(n), 0)::int as n from log_minutes`;
        expect(row?.n).toBe(stored);
      } finally {
        await db.sql.end({ timeout: 5 });
        await db.drop();
      }
    });

    test("recountMinutes rebuilds per-minute counts that went wrong (rows written by pre-migration code)", async () => {
      const db = await openStoreDatabase();
      try {
        // countMany without the alert tick's minute cache adds up log_minutes' cells: what shows them wrong.
        // (The cache reads events, and log_minutes only to learn which minutes changed.)
        const store = new PostgresLogStore(db.sql, { alertCacheBytes: 0 });
        const now = Math.floor(Date.now() / 60_000) * 60_000;
        const evs = Array.from({ length: 90 }, (_, i) =>
          logEvent(now - 3 * 3_600_000 + i * 120_000, {
            received_at: new Date(now).toISOString(),
            service: `svc-${i % 2}`,
            message: `event ${i}`,
          }),
        );
        await store.write(evs);
        // What an old process would leave: rows in logs the counts know nothing of, and a stale count.
        await db.sql`delete from log_minutes where minute >= ${new Date(now - 3_600_000).toISOString()}::timestamptz`;
        await db.sql`update log_minutes set n = n + 5 where minute < ${new Date(now - 3_600_000).toISOString()}::timestamptz`;
        const windows = [30, 90, 240].map((w) => ({ from: now - 500 - w * 60_000, to: now - 500 }));
        const truth = await Promise.all(windows.map((f) => store.count(f)));
        expect(await store.countMany(windows)).not.toEqual(truth);

        const recent = await store.recountMinutes(now - 3_600_000);
        expect(recent.events).toBe(evs.filter((e) => Date.parse(e.timestamp) >= now - 3_600_000).length);
        expect((await store.countMany(windows))[0]).toBe(truth[0]); // the last hour is right again
        const all = await store.recountMinutes();
        expect(all.events).toBe(evs.length);
        expect(await store.countMany(windows)).toEqual(truth);
      } finally {
        await db.sql.end({ timeout: 5 });
        await db.drop();
      }
    });

    test("fillSearchWords gives words to events an older process stored without them", async () => {
      const db = await openStoreDatabase();
      try {
        const store = new PostgresLogStore(db.sql);
        const now = Date.now();
        const evs = [
          logEvent(now - 3 * 3_600_000, { service: "old", message: "GET /users/u_77 earlier" }),
          logEvent(now - 60_000, { service: "old", message: "GET /users/u_77 recent" }),
        ];
        await store.write(evs);
        // Code from before migration 6 inserts without the search column (the database made it then).
        await db.sql`update logs set search = null`;
        expect(await store.count({ text: "u_77" })).toBe(0);

        expect(await store.fillSearchWords(now - 3_600_000)).toBe(1);
        expect((await store.search({ text: "u_77", limit: 10 })).logs.map((e) => e.message)).toEqual([
          "GET /users/u_77 recent",
        ]);
        expect(await store.fillSearchWords()).toBe(1);
        expect(await store.count({ text: "u_77" })).toBe(2);
        expect(await store.fillSearchWords()).toBe(0);
        // The same words as the writer's.
        const [same] = await db.sql<{ n: number }[]>`
          select count(*)::int as n from logs where search = logflow_search_words(service, message)`;
        expect(same?.n).toBe(2);
      } finally {
        await db.sql.end({ timeout: 5 });
        await db.drop();
      }
    });

    test("a NUL character, which Postgres text cannot hold, does not sink the batch", async () => {
      const store = otherProcess();
      const ts = Date.now() - 60_000;
      const bad = { ...event(ts, "nul"), message: "before\u0000after", attributes: { k: "v\u0000" } };
      const good = event(ts + 1, "nul");
      expect(await store.write([bad, good])).toEqual({ written: 2, duplicates: 0 });
      expect((await store.get(bad.id))?.message).toBe("before\uFFFDafter");
      expect(await store.get(good.id)).toEqual(good);
    });

    test("a batch larger than one statement carries is written in parts: all of it, counted once", async () => {
      const sql = connectPostgres(db.url, { max: 2 });
      pools.push(sql);
      const store = new PostgresLogStore(sql, { maxStatementChars: 1_500 });
      const ts = Date.now() - 90_000;
      const batch = Array.from({ length: 30 }, (_, i) => ({
        ...event(ts + i, "split"),
        message: `${i}: ${"x".repeat(i * 20)}`,
      }));
      batch[7] = { ...(batch[7] as LogEvent), message: "nul\u0000here" };
      const [before] = await db.sql<{ n: number }[]>`select coalesce(sum(n), 0)::int as n from log_minutes
        where service = 'split'`;
      expect(before?.n).toBe(0);
      expect(await store.write(batch)).toEqual({ written: 30, duplicates: 0 });
      expect(await store.write(batch)).toEqual({ written: 0, duplicates: 30 });
      const [after] = await db.sql<{ n: number }[]>`select coalesce(sum(n), 0)::int as n from log_minutes
        where service = 'split'`;
      expect(after?.n).toBe(30);
      expect(await store.get((batch[29] as LogEvent).id)).toEqual(batch[29] as LogEvent);
      expect((await store.get((batch[7] as LogEvent).id))?.message).toBe("nul\uFFFDhere");
    });

    test("a batch written as many statements is one transaction: one bad row stores none of it", async () => {
      const sql = connectPostgres(db.url, { max: 2 });
      pools.push(sql);
      const store = new PostgresLogStore(sql, { statementChars: 2_000 });
      const ts = Date.now() - 120_000;
      const batch = Array.from({ length: 300 }, (_, i) => event(ts + i * 300, "parts"));
      const counted = async () =>
        (
          await db.sql<{ n: number }[]>`select coalesce(sum(n), 0)::int as n from log_minutes
          where service = 'parts'`
        )[0]?.n;
      // An id Postgres cannot read as a uuid, in the last of dozens of statements (a store trusts its
      // caller's ids; this stands for any row the database refuses).
      const bad = [...batch, { ...event(ts + 99_000, "parts"), id: "not-a-uuid" }];
      await expect(store.write(bad)).rejects.toThrow();
      expect(await store.count({ services: ["parts"] })).toBe(0);
      expect(await counted()).toBe(0);
      // The same rows again without it: all stored, counted once, minute by minute.
      expect(await store.write(batch)).toEqual({ written: 300, duplicates: 0 });
      expect(await store.count({ services: ["parts"] })).toBe(300);
      expect(await counted()).toBe(300);
    });

    test("half a surrogate pair becomes U+FFFD; whole pairs and escape-like text are kept as sent", async () => {
      const store = otherProcess();
      const ts = Date.now() - 60_000;
      const lone = {
        ...event(ts, "surrogates"),
        message: "cut \uD83D here, and \uDE00 there",
        host: "h\uDBFF",
        attributes: { "k\uD800": "v\uDC00", n: 1 },
      };
      const literal = {
        ...event(ts + 1, "surrogates"),
        message: String.raw`a path C:\u0000 and \ud800 written out, and a pair 😀`,
        attributes: { raw: String.raw`\u0000` },
      };
      expect(await store.write([lone, literal])).toEqual({ written: 2, duplicates: 0 });
      expect(await store.get(lone.id)).toEqual({
        ...lone,
        message: "cut \uFFFD here, and \uFFFD there",
        host: "h\uFFFD",
        attributes: { "k\uFFFD": "v\uFFFD", n: 1 },
      });
      expect(await store.get(literal.id)).toEqual(literal);
    });

    describe("writes through COPY", () => {
      /** A store whose every write is a COPY, on a pool of one connection (a leaked one would hang it). */
      function copyStore(): PostgresLogStore {
        const sql = connectPostgres(db.url, { max: 1 });
        pools.push(sql);
        return new PostgresLogStore(sql, { copyFromRows: 1 });
      }
      const minutes = async (service: string) =>
        (
          await db.sql<{ n: number }[]>`select coalesce(sum(n), 0)::int as n from log_minutes
          where service = ${service}`
        )[0]?.n;

      test("COPY's own syntax in any field is kept as sent", async () => {
        const store = copyStore();
        const ts = Date.now() - 30_000;
        const tricky = "tab\there\nnew\rline \\N \\. \\t back\\slash";
        const e = {
          ...event(ts, "copy\tsyntax"),
          message: `${tricky}\n\\.\n\\N`,
          host: "\\N",
          request_id: "\\.",
          attributes: { "k\tt": "v\nv\\", n: 2, ok: true },
        };
        const plain = { ...event(ts + 1, "copy\tsyntax"), host: null, attributes: {} };
        expect(await store.write([e, plain])).toEqual({ written: 2, duplicates: 0 });
        expect(await store.get(e.id)).toEqual(e);
        expect(await store.get(plain.id)).toEqual(plain);
        expect(await minutes("copy\tsyntax")).toBe(2);
      });

      test("U+0000 and half surrogate pairs become U+FFFD, in the event and in its minute's count", async () => {
        const store = copyStore();
        const ts = Date.now() - 40_000;
        const bad = {
          ...event(ts, "copy\u0000nul"),
          message: "nul\u0000 and cut \uD83D here",
          attributes: { "k\uD800": "v\u0000", pair: "😀" },
        };
        const good = event(ts + 1, "copy\u0000nul");
        expect(await store.write([bad, good])).toEqual({ written: 2, duplicates: 0 });
        expect(await store.get(bad.id)).toEqual({
          ...bad,
          service: "copy\uFFFDnul",
          message: "nul\uFFFD and cut \uFFFD here",
          attributes: { "k\uFFFD": "v\uFFFD", pair: "😀" },
        });
        expect(await store.get(good.id)).toEqual({ ...good, service: "copy\uFFFDnul" });
        expect(await minutes("copy\uFFFDnul")).toBe(2);
      });

      test("a replay, whole or in part, stores and counts only the new events", async () => {
        const store = copyStore();
        const ts = Date.now() - 200_000;
        const batch = Array.from({ length: 400 }, (_, i) => event(ts + i * 250, "copy-replay"));
        expect(await store.write(batch.slice(100, 350))).toEqual({ written: 250, duplicates: 0 });
        // Rows go in time order, so the stored events come last, first, or are all of the batch: COPY
        // refuses each at a different moment (the end of the data, the first flush), and the insert
        // takes over every time.
        expect(await store.write(batch.slice(0, 120))).toEqual({ written: 100, duplicates: 20 });
        expect(await store.write(batch.slice(340))).toEqual({ written: 50, duplicates: 10 });
        expect(await store.write(batch)).toEqual({ written: 0, duplicates: 400 });
        expect(await store.count({ services: ["copy-replay"] })).toBe(400);
        expect(await minutes("copy-replay")).toBe(400);
      });

      test("a row Postgres refuses fails the whole batch and frees the connection for the next", async () => {
        const store = copyStore();
        const ts = Date.now() - 300_000;
        const batch = Array.from({ length: 200 }, (_, i) => event(ts + i * 100, "copy-refused"));
        // An id Postgres cannot read as a uuid, last (found at the end of the data) and first.
        for (const bad of [
          [...batch, { ...event(ts + 50_000, "copy-refused"), id: "not-a-uuid" }],
          [{ ...event(ts - 1, "copy-refused"), id: "not-a-uuid" }, ...batch],
        ]) {
          await expect(store.write(bad)).rejects.toMatchObject({ code: "22P02" });
          expect(await store.count({ services: ["copy-refused"] })).toBe(0);
          expect(await minutes("copy-refused")).toBe(0);
        }
        expect(await store.write(batch)).toEqual({ written: 200, duplicates: 0 });
        expect(await minutes("copy-refused")).toBe(200);
      });
      // postgres.js, patched (patches/): unpatched, the connection's write buffer outlived its socket, and
      // every later query on the pool ended in CONNECT_TIMEOUT.
      test("a connection lost in the middle of a COPY fails the write, stores nothing, and the next one works", async () => {
        const store = copyStore();
        const ts = Date.now() - 500_000;
        const batch = Array.from({ length: 300 }, (_, i) => event(ts + i, "copy-outage"));
        await store.write([event(ts - 1_000, "copy-outage")]); // the day's partition, created beforehand
        const day = partitionName(Math.floor(ts / DAY_MS));
        // Another transaction holds the day's partition, so the COPY waits inside its data for the lock.
        const blocker = connectPostgres(db.url, { max: 1 });
        pools.push(blocker);
        let release = () => {};
        const held = new Promise<void>((r) => {
          release = r;
        });
        let locked = () => {};
        const lockTaken = new Promise<void>((r) => {
          locked = r;
        });
        const locking = blocker.begin(async (tx) => {
          await tx.unsafe(`lock table ${day} in access exclusive mode`);
          locked();
          await held;
        });
        // The write starts only once the lock is held: a fixed pause before it (100 ms) was shorter than
        // the blocker's connect and lock on a loaded machine (up to 530 ms at load 15), and the COPY then
        // committed before the lock, leaving nothing to find below. `locking` is raced in so that a
        // blocker that fails says so instead of leaving this wait to the test's timeout.
        await Promise.race([lockTaken, locking]);
        // Its rejection is caught at once: it can come before the terminate query below returns.
        let settled = false;
        const writing = store.write(batch).then(
          () => null,
          (err: unknown) => err,
        );
        void writing.finally(() => {
          settled = true;
        });
        // Until the COPY waits on the lock (its data reached the day's partition). The write cannot end
        // before then; if it does anyway, the loop stops at once rather than polling out its budget.
        let copying: { pid: number }[] = [];
        for (let i = 0; i < 400 && copying.length === 0 && !settled; i++) {
          await Bun.sleep(50);
          copying = await db.sql<{ pid: number }[]>`select pid from pg_stat_activity
            where position('copy logs' in query) > 0 and wait_event_type = 'Lock' and pid <> pg_backend_pid()
              and datname = current_database()`;
        }
        expect({ settled, copying: copying.length }).toEqual({ settled: false, copying: 1 });
        await db.sql`select pg_terminate_backend(${(copying[0] as { pid: number }).pid})`;
        expect(await writing).toBeInstanceOf(Error);
        release();
        await locking;
        expect(await store.count({ services: ["copy-outage"] })).toBe(1);
        expect(await minutes("copy-outage")).toBe(1);
        expect(await store.write(batch)).toEqual({ written: 300, duplicates: 0 });
        expect(await minutes("copy-outage")).toBe(301);
      });
    });

    test("a search over a time range reads only the partitions of its days", async () => {
      const day = Math.floor(Date.now() / DAY_MS) - 300;
      const store = otherProcess();
      await store.write([0, 1, 2].map((d) => event((day + d) * DAY_MS + 5000, "pruning")));
      const from = new Date((day + 1) * DAY_MS).toISOString();
      const to = new Date((day + 2) * DAY_MS - 1).toISOString();
      const plan = await db.sql.unsafe<{ "QUERY PLAN": string }[]>(
        `explain select * from logs where ts >= '${from}' and ts <= '${to}' and service = 'pruning'`,
      );
      const text = plan.map((r) => r["QUERY PLAN"]).join("\n");
      expect(text).toContain(partitionName(day + 1));
      expect(text).not.toContain(partitionName(day));
      expect(text).not.toContain(partitionName(day + 2));
    });
  });
});
