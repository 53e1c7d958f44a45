import type { Sql } from "postgres";
import { migrate } from "../../core/adapters/postgres/migrate.ts";
import { type Config, DEV_ADMIN_PASSWORD } from "../../core/config.ts";
import { MIGRATIONS } from "../../db/migrations/index.ts";
import { hashPassword } from "../../edge-api/auth/passwords.ts";
import type { AppDeps } from "../../edge-api/context.ts";
import { type ApiDeps, buildDeps } from "../build-deps.ts";
import { bunApi, bunPlatform, openDatabase } from "./platform.ts";

export interface Runtime {
  deps: AppDeps;
  /** Everything built (the scheduler's tick repository among it). */
  built: ApiDeps;
  sql: Sql;
  /** "embedded (PGlite in …)" or "postgres". */
  database: string;
  adminCreated: boolean;
  close(): Promise<void>;
}

/**
 * Start the API's runtime on Bun: open the database (Postgres at DATABASE_URL, else embedded PGlite
 * under LOGFLOW_DATA_DIR), apply migrations, create the default admin, build every dependency
 * (buildDeps), and run retention every hour.
 */
export async function startRuntime(config: Config): Promise<Runtime> {
  const database = await openDatabase(config);
  const platform = bunPlatform(config, database);
  const log = platform.log;
  let built: ApiDeps;
  let adminCreated: boolean;
  try {
    const applied = await migrate(database.sql, MIGRATIONS);
    if (applied.length) log({ level: "INFO", msg: "migrations applied", versions: applied });
    built = await buildDeps(config, platform, bunApi(config, log));
    adminCreated = await built.users.ensure({
      username: config.ADMIN_USERNAME,
      email: config.ADMIN_EMAIL,
      hashedPassword: await hashPassword(config.ADMIN_PASSWORD ?? DEV_ADMIN_PASSWORD, config.BCRYPT_ROUNDS),
      fullName: "Administrator",
      isAdmin: true,
    });
  } catch (err) {
    await database.close();
    throw err;
  }

  const { store, anomalies } = built;
  const retention = async () => {
    try {
      const cutoff = Date.now() - config.RETENTION_DAYS * 86_400_000;
      const removed = await store.deleteOlderThan(cutoff);
      await anomalies?.deleteOlderThan(cutoff);
      if (removed) log({ level: "INFO", msg: "retention", removed, retention_days: config.RETENTION_DAYS });
    } catch (err) {
      log({ level: "ERROR", msg: "retention failed", error: String(err) });
    }
  };
  // One pass at a time, and close() waits for the one running (else it would lose its connection).
  let retaining: Promise<void> = retention();
  const retentionTimer = setInterval(() => {
    retaining = retaining.then(retention);
  }, 3_600_000);
  retentionTimer.unref?.();

  return {
    deps: built.app,
    built,
    sql: database.sql,
    database: database.label,
    adminCreated,
    async close() {
      clearInterval(retentionTimer);
      await retaining;
      await built.close();
    },
  };
}
