import { openEmbeddedDatabase } from "../core/adapters/pglite/open.ts";
import { EMBEDDED_STORE_OPTIONS, PostgresLogStore } from "../core/adapters/postgres/log-store.ts";
import { migrate } from "../core/adapters/postgres/migrate.ts";
import { MIGRATIONS } from "../db/migrations/index.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";
import { runLogStoreConformance } from "./log-store-conformance.ts";

integrationTimeouts();

// PGlite takes seconds to open: the suite opens one in-memory database for the whole file, and its tests
// keep out of each other's way with fresh names.
runLogStoreConformance("Postgres store on PGlite", async () => {
  const db = await openEmbeddedDatabase("memory://");
  await migrate(db.sql, MIGRATIONS);
  return { store: new PostgresLogStore(db.sql, EMBEDDED_STORE_OPTIONS), close: () => db.close() };
});
