import { openEmbeddedDatabase } from "../core/adapters/pglite/open.ts";
import { PostgresArrivals } from "../core/adapters/postgres/arrivals.ts";
import { EMBEDDED_STORE_OPTIONS, PostgresLogStore } from "../core/adapters/postgres/log-store.ts";
import { migrate } from "../core/adapters/postgres/migrate.ts";
import { MIGRATIONS } from "../db/migrations/index.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";
import { runLogArrivalsConformance } from "./log-arrivals-conformance.ts";

integrationTimeouts();

runLogArrivalsConformance("arrival order on PGlite", async () => {
  const db = await openEmbeddedDatabase("memory://");
  await migrate(db.sql, MIGRATIONS);
  return {
    store: new PostgresLogStore(db.sql, EMBEDDED_STORE_OPTIONS),
    arrivals: new PostgresArrivals(db.sql),
    close: () => db.close(),
  };
});
