/** The edge's per-request client made on first use (core/adapters/postgres/lazy.ts), on real Postgres. */
import { describe, expect, test } from "bun:test";
import { connectPostgres } from "../core/adapters/postgres/connect.ts";
import { lazySql } from "../core/adapters/postgres/lazy.ts";
import { POSTGRES_ADMIN_URL, postgresReachable } from "./helpers/engines.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";

integrationTimeouts();

describe.skipIf(!(await postgresReachable()))("lazySql", () => {
  test("a client never used is never made, and ending it does nothing", async () => {
    let made = 0;
    const sql = lazySql(() => {
      made++;
      return connectPostgres(POSTGRES_ADMIN_URL, { max: 1 });
    });
    await sql.end({ timeout: 1 });
    expect(made).toBe(0);
  });

  test("used, it is the client: tagged queries, unsafe, transactions; made once, ended once", async () => {
    let made = 0;
    const sql = lazySql(() => {
      made++;
      return connectPostgres(POSTGRES_ADMIN_URL, { max: 2 });
    });
    const [row] = await sql<{ n: number }[]>`select ${41}::int + 1 as n`;
    expect(row?.n).toBe(42);
    const rows = await sql.unsafe<{ v: string }[]>("select 'x' as v");
    expect([...rows]).toEqual([{ v: "x" }]);
    const inTx = await sql.begin(async (tx) => {
      const [r] = await tx<{ t: string }[]>`select current_setting('transaction_isolation') as t`;
      return r?.t;
    });
    expect(inTx).toBe("read committed");
    expect(made).toBe(1);
    await sql.end({ timeout: 1 });
    await expect(sql`select 1`).rejects.toMatchObject({ code: "CONNECTION_ENDED" });
  });
});
