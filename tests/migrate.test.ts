import { afterAll, describe, expect, test } from "bun:test";
import { connectPostgres } from "../core/adapters/postgres/connect.ts";
import { migrate } from "../core/adapters/postgres/migrate.ts";
import { MIGRATIONS } from "../db/migrations/index.ts";
import { freshPostgresDatabase, postgresReachable } from "./helpers/engines.ts";

const available = await postgresReachable();
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe.skipIf(!available)("migrations on a Postgres 15 server", () => {
  test("five processes starting at once apply each migration exactly once", async () => {
    const db = await freshPostgresDatabase();
    cleanups.push(db.drop);
    const clients = Array.from({ length: 5 }, () => connectPostgres(db.url, { max: 1 }));
    try {
      const applied = await Promise.all(clients.map((sql) => migrate(sql, MIGRATIONS)));
      // Exactly one start-up applied the migrations; the others found them done.
      expect(applied.filter((a) => a.length > 0)).toEqual([MIGRATIONS.map((m) => m.version)]);
      const rows = await clients[0]!`select version from schema_migrations order by version`;
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      expect(await migrate(clients[0]!, MIGRATIONS)).toEqual([]);
    } finally {
      await Promise.all(clients.map((sql) => sql.end()));
    }
  });

  test("a failing migration leaves the schema as it was", async () => {
    const db = await freshPostgresDatabase();
    cleanups.push(db.drop);
    const sql = connectPostgres(db.url, { max: 1 });
    try {
      const broken = [
        ...MIGRATIONS,
        { version: 999, name: "broken", sql: "create table t999 (x int); select 1/0;" },
      ];
      await expect(migrate(sql, broken)).rejects.toThrow();
      const [row] =
        await sql`select to_regclass('public.users') as users, to_regclass('public.t999') as t999`;
      expect(row).toEqual({ users: null, t999: null });
      expect(await migrate(sql, MIGRATIONS)).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      await sql.end();
    }
  });
});
