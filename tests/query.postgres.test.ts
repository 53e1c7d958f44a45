import { describe } from "bun:test";
import type { Sql } from "postgres";
import { openEmbeddedDatabase } from "../core/adapters/pglite/open.ts";
import { connectPostgres } from "../core/adapters/postgres/connect.ts";
import { EMBEDDED_STORE_OPTIONS, PostgresLogStore } from "../core/adapters/postgres/log-store.ts";
import { migrate } from "../core/adapters/postgres/migrate.ts";
import { toSql } from "../core/query/postgres.ts";
import { asTemplate } from "../core/query/sql.ts";
import { MIGRATIONS } from "../db/migrations/index.ts";
import { freshPostgresDatabase, postgresReachable } from "./helpers/engines.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";
import { type QueryEngine, runQueryProperty } from "./query-property.ts";

integrationTimeouts();

// Throws when LOGFLOW_REQUIRE_ENGINES names postgres and the server is absent, so CI cannot skip.
const reachable = await postgresReachable();

/**
 * The compiled condition over `logs`, events written by the store (its words, its JSON). `indexScans`
 * forbids sequential scans, so that text and attribute terms are
 * answered through their GIN indexes, whose answers must be the same.
 */
function engineOn(sql: Sql, store: PostgresLogStore, indexScans: boolean): Omit<QueryEngine, "close"> {
  return {
    async load(events) {
      await store.write(events);
      await sql`analyze logs`;
    },
    async search(query) {
      const where = sql(...asTemplate(toSql(query)));
      const run = (tx: Sql) => tx<{ id: string }[]>`select id::text as id from logs where ${where}`;
      const rows = indexScans
        ? await sql.begin(async (tx) => {
            await tx`set local enable_seqscan = off`;
            return run(tx as unknown as Sql);
          })
        : await run(sql);
      return rows.map((r) => r.id);
    },
  };
}

describe.skipIf(!reachable)("Postgres 15 server", () => {
  for (const indexScans of [false, true]) {
    runQueryProperty(
      `query language on a Postgres server${indexScans ? ", through the GIN indexes" : ""}`,
      async () => {
        const db = await freshPostgresDatabase();
        const sql = connectPostgres(db.url, { max: 2, applicationName: "logflow-test" });
        await migrate(sql, MIGRATIONS);
        return {
          ...engineOn(sql, new PostgresLogStore(sql), indexScans),
          async close() {
            await sql.end({ timeout: 5 });
            await db.drop();
          },
        };
      },
    );
  }
});

runQueryProperty("query language on PGlite", async () => {
  const db = await openEmbeddedDatabase("memory://");
  await migrate(db.sql, MIGRATIONS);
  return {
    ...engineOn(db.sql, new PostgresLogStore(db.sql, EMBEDDED_STORE_OPTIONS), false),
    close: () => db.close(),
  };
});
