import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type EmbeddedDatabase, openEmbeddedDatabase } from "../core/adapters/pglite/open.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";
import { until } from "./helpers/until.ts";

integrationTimeouts();

describe("embedded PGlite in its own thread", () => {
  let dir: string;
  let db: EmbeddedDatabase;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "logflow-pglite-thread-"));
    db = await openEmbeddedDatabase(dir);
    // A fresh data directory runs initdb inside WebAssembly: seconds on a busy CI machine.
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  test("a slow query does not stop the event loop that serves requests", async () => {
    // A query that keeps the engine busy for about a second (pg_sleep would not: it waits, not works).
    const query = db.sql`select count(*) from generate_series(1, 4000000) g where g % 7 = 3`.execute();
    // Timers keep firing while the database works: in-process PGlite ran the whole query synchronously.
    const started = performance.now();
    let ticks = 0;
    let worstGap = 0;
    let last = started;
    while (performance.now() - started < 500) {
      await Bun.sleep(10);
      const now = performance.now();
      worstGap = Math.max(worstGap, now - last);
      last = now;
      ticks++;
    }
    await query;
    expect(ticks).toBeGreaterThan(20);
    expect(worstGap).toBeLessThan(300);
  });

  test("the thread says when it last finished a statement, which the watchdog reads", async () => {
    const before = Date.now();
    await db.sql`select 1`;
    // The answer streams to the client before the thread records the finish: soon after, not before.
    const recorded = await until(
      "the finish to be recorded",
      async () => (db.lastFinished() >= before ? db.lastFinished() : undefined),
      10_000,
    );
    expect(recorded).toBeLessThanOrEqual(Date.now());
  });

  test("close releases the data directory and another open sees what was written", async () => {
    await db.sql`create table kept (v int)`;
    await db.sql`insert into kept values (42)`;
    await db.close();
    // The claim is released: a second open of the same directory succeeds and reads the row.
    db = await openEmbeddedDatabase(dir);
    const [row] = await db.sql<{ v: number }[]>`select v from kept`;
    expect(row?.v).toBe(42);
  });

  test("a directory another live process holds is refused with the reason", async () => {
    await expect(openEmbeddedDatabase(dir)).rejects.toThrow(/in use by this process/);
  });
});
