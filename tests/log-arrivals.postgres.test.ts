import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sql } from "postgres";
import { PostgresArrivals } from "../core/adapters/postgres/arrivals.ts";
import { connectPostgres } from "../core/adapters/postgres/connect.ts";
import { PostgresLogStore } from "../core/adapters/postgres/log-store.ts";
import { migrate } from "../core/adapters/postgres/migrate.ts";
import { MIGRATIONS } from "../db/migrations/index.ts";
import { freshPostgresDatabase, postgresReachable } from "./helpers/engines.ts";
import { logEvent } from "./helpers/events.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";
import { readAll, runLogArrivalsConformance } from "./log-arrivals-conformance.ts";

integrationTimeouts();

// Throws when LOGFLOW_REQUIRE_ENGINES names postgres and the server is absent, so CI cannot skip.
const reachable = await postgresReachable();

async function openDatabase() {
  const db = await freshPostgresDatabase();
  const sql = connectPostgres(db.url, { max: 4, applicationName: "logflow-test" });
  await migrate(sql, MIGRATIONS);
  return {
    sql,
    async close() {
      await sql.end({ timeout: 5 });
      await db.drop();
    },
  };
}

describe.skipIf(!reachable)("Postgres 15 server", () => {
  runLogArrivalsConformance("arrival order on a Postgres server", async () => {
    const db = await openDatabase();
    // Every write a COPY, as the indexer's big batches are: the arrival comes from the column's default
    // on both write paths.
    return {
      store: new PostgresLogStore(db.sql, { copyFromRows: 1 }),
      arrivals: new PostgresArrivals(db.sql),
      close: db.close,
    };
  });

  describe("writes that commit out of order", () => {
    let db: Awaited<ReturnType<typeof openDatabase>>;
    beforeAll(async () => {
      db = await openDatabase();
    });
    afterAll(async () => {
      await db?.close();
    });

    test("orders transactions by number, not by the text of it (9 before 10)", async () => {
      const sql: Sql = db.sql;
      const store = new PostgresLogStore(sql);
      const service = `arr-${crypto.randomUUID().slice(0, 8)}`;
      const events = [10, 9, 100].map((n) => logEvent(Date.now() - n, { service, message: `tx ${n}` }));
      await store.write(events);
      for (const [i, n] of [10, 9, 100].entries()) {
        await sql`update logs set arrival = ${n}::text::xid8 where id = ${events[i]!.id}::uuid`;
      }
      const page = await new PostgresArrivals(sql).read("0000000000000000", { limit: 1000 });
      const mine = page.arrivals.filter((a) => a.event.service === service);
      expect(mine.map((a) => a.event.message)).toEqual(["tx 9", "tx 10", "tx 100"]);
    });

    test("a read never ends past a write still committing, which then arrives, each event once", async () => {
      const sql: Sql = db.sql;
      const store = new PostgresLogStore(sql);
      const arrivals = new PostgresArrivals(sql);
      const service = `arr-${crypto.randomUUID().slice(0, 8)}`;
      const start = await arrivals.head();
      const slow = logEvent(Date.now() - 1_000, { service, message: "slow" });
      const fast = logEvent(Date.now(), { service, message: "fast" });
      // The day's partition, so that the open transaction below only inserts.
      await store.write([logEvent(Date.parse(slow.timestamp), { service: "other" })]);

      // A write that has begun (its transaction has an id) but not committed, on its own connection…
      let commit!: () => void;
      const committed = new Promise<void>((resolve) => (commit = resolve));
      let began!: () => void;
      const begun = new Promise<void>((resolve) => (began = resolve));
      const slowWrite = sql.begin(async (tx) => {
        await tx`select pg_current_xact_id()`;
        began();
        await committed;
        await tx`insert into logs (id, ts, received_at, service, level, message, search)
          values (${slow.id}::uuid, ${slow.timestamp}::timestamptz, ${slow.received_at}::timestamptz,
                  ${slow.service}, ${slow.level}, ${slow.message}, ''::tsvector)`;
      });
      await begun;
      // …then a later one that commits first.
      await store.write([fast]);

      const first = await arrivals.read(start, { limit: 100 });
      expect(first.arrivals.filter((a) => a.event.service === service)).toEqual([]);

      commit();
      await slowWrite;
      const seen = await readAll(arrivals, first.next, { service, count: 2 });
      expect(seen.filter((a) => a.event.service === service).map((a) => a.event.message)).toEqual([
        "slow",
        "fast",
      ]);
    });
  });
});
