/**
 * Retention that asks before deleting: lowering RETENTION_DAYS announces the stored days it would drop
 * and deletes them only once confirmed; raising it, or lowering it past nothing stored, goes ahead. On a
 * real database (PGlite) through the real store.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { openEmbeddedDatabase } from "../core/adapters/pglite/open.ts";
import { EMBEDDED_STORE_OPTIONS, PostgresLogStore } from "../core/adapters/postgres/log-store.ts";
import { migrate } from "../core/adapters/postgres/migrate.ts";
import { PostgresSystemConfigRepo } from "../core/adapters/postgres/system-config-repo.ts";

import { DAY_MS, RETENTION_KEY } from "../core/retention/plan.ts";
import { startRetention } from "../core/retention/runner.ts";
import { MIGRATIONS } from "../db/migrations/index.ts";
import { configOrExit } from "../workers/bun/serve.ts";
import { logEvent } from "./helpers/events.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";

integrationTimeouts();

const NOW = Date.now();
let db: Awaited<ReturnType<typeof openEmbeddedDatabase>>;
let store: PostgresLogStore;
let settings: PostgresSystemConfigRepo;

/** One event per age, in whole days plus an hour (so each falls clearly inside its day's cutoff). */
async function storeAged(days: number[]): Promise<void> {
  await store.write(days.map((d) => logEvent(NOW - d * DAY_MS - 3_600_000, { message: `aged ${d}` })));
}

const ages = async () => {
  const page = await store.search({ limit: 1000 });
  return page.logs.map((e) => Number(e.message.slice(5))).sort((a, b) => a - b);
};

/** One retention start with RETENTION_DAYS=`days`; resolves with what it logged, after its first pass. */
async function start(days: number, confirmed = false): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  const job = startRetention({
    store,
    settings,
    days,
    confirmed,
    now: () => NOW,
    log: (line) => lines.push(line),
  });
  await job.ready;
  await job.close();
  return lines;
}

const warnings = (lines: Record<string, unknown>[]) =>
  lines.filter((l) => l.level === "WARNING").map((l) => String(l.msg));

describe("retention asks before deleting stored days", () => {
  // One database for the suite (opening PGlite takes seconds), emptied before each test.
  beforeAll(async () => {
    db = await openEmbeddedDatabase("memory://");
    await migrate(db.sql, MIGRATIONS);
    store = new PostgresLogStore(db.sql, EMBEDDED_STORE_OPTIONS);
    settings = new PostgresSystemConfigRepo(db.sql);
  }, 60_000);
  beforeEach(async () => {
    await db.sql`truncate logs`;
    await db.sql`delete from system_config`;
  }, 30_000);
  afterAll(async () => {
    await db.close();
  }, 30_000);

  test("the first start records the retention; with nothing past it, nothing is asked", async () => {
    await storeAged([1, 3, 9]);
    expect(warnings(await start(30))).toEqual([]);
    expect(await settings.get(RETENTION_KEY)).toEqual({ days: 30 });
    expect(await ages()).toEqual([1, 3, 9]);
  });

  test("lowered, it names the days that would go and deletes none of them until confirmed", async () => {
    await storeAged([1, 3, 6, 9]);
    await start(30);
    const said = warnings(await start(5));
    expect(said).toHaveLength(1);
    const day = (d: number) => new Date(NOW - d * DAY_MS - 3_600_000).toISOString().slice(0, 10);
    expect(said[0]).toContain(
      `RETENTION_DAYS=5 would delete 2 stored events of 2 days: ${day(9)} (1), ${day(6)} (1)`,
    );
    expect(said[0]).toContain("restart with --yes or RETENTION_CONFIRM=true");
    expect(said[0]).toContain("retention stays at 30 days");
    expect(await ages()).toEqual([1, 3, 6, 9]);
    expect(await settings.get(RETENTION_KEY)).toEqual({ days: 30 });

    const confirmed = warnings(await start(5, true));
    expect(confirmed[0]).toContain("RETENTION_DAYS=5 (confirmed): deleting 2 stored events of 2 days");
    expect(await ages()).toEqual([1, 3]);
    expect(await settings.get(RETENTION_KEY)).toEqual({ days: 5 });
  });

  test("while a lower retention waits for confirmation, the one in force goes on deleting", async () => {
    await storeAged([2, 10, 40]);
    await settings.set(RETENTION_KEY, { days: 30 });
    await start(5);
    expect(await ages()).toEqual([2, 10]);
  });

  test("raising it, or lowering it past days that hold nothing, goes ahead without asking", async () => {
    await storeAged([1, 2]);
    await start(5);
    expect(warnings(await start(10))).toEqual([]);
    expect(await settings.get(RETENTION_KEY)).toEqual({ days: 10 });
    expect(warnings(await start(3))).toEqual([]);
    expect(await settings.get(RETENTION_KEY)).toEqual({ days: 3 });
    expect(await ages()).toEqual([1, 2]);
  });

  test("events past the retention in a database that never recorded one (an upgrade) are asked about too, and nothing is deleted meanwhile", async () => {
    await storeAged([1, 35, 60]);
    const said = warnings(await start(30));
    expect(said[0]).toContain("RETENTION_DAYS=30 would delete 2 stored events of 2 days");
    expect(said[0]).toContain("no retention was ever recorded in this database, so none is applied");
    expect(await ages()).toEqual([1, 35, 60]);
    expect(await settings.get(RETENTION_KEY)).toBeNull();
  });
});

describe("confirming at start", () => {
  test("--yes on the command line sets RETENTION_CONFIRM", () => {
    expect(configOrExit({}, ["bun", "api.ts", "--yes"]).RETENTION_CONFIRM).toBe(true);
    expect(configOrExit({}, ["bun", "api.ts"]).RETENTION_CONFIRM).toBe(false);
    expect(configOrExit({ RETENTION_CONFIRM: "true" }, ["bun", "api.ts"]).RETENTION_CONFIRM).toBe(true);
  });
});
