import type { Sql } from "postgres";
import { migrate } from "../../core/adapters/postgres/migrate.ts";
import { PostgresSystemConfigRepo } from "../../core/adapters/postgres/system-config-repo.ts";
import type { Config } from "../../core/config.ts";
import { type RetentionJob, startRetention } from "../../core/retention/runner.ts";
import { MIGRATIONS } from "../../db/migrations/index.ts";
import { ensureAdminAccount, secureAccountsAtStart } from "../../edge-api/auth/start-accounts.ts";
import type { AppDeps } from "../../edge-api/context.ts";
import { type ApiDeps, buildDeps } from "../build-deps.ts";
import { bunApi, bunPlatform, logger, openDatabase } from "./platform.ts";

export interface Runtime {
  deps: AppDeps;
  /** Everything built (the scheduler's tick repository among it). */
  built: ApiDeps;
  sql: Sql;
  /** "embedded (PGlite in …)" or "postgres". */
  database: string;
  adminCreated: boolean;
  /**
   * The hourly retention job (its `ready`: the first pass at start is done); null in a process that
   * leaves it to another role (RuntimeOptions.retention).
   */
  retention: RetentionJob | null;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /**
   * Whether this process runs the hourly retention pass (RETENTION_DAYS and the per-service rules).
   * Exactly one role of a profile does, the one that runs the alert scheduler: `bun run dev` in the
   * embedded profile, the scheduler role in the cluster profile. The API role does not: its replicas
   * would each delete the same events, and a lowered RETENTION_DAYS would be announced by every one.
   */
  retention: boolean;
}

/**
 * Start the API's runtime on Bun: open the database (Postgres at DATABASE_URL, else embedded PGlite
 * under LOGFLOW_DATA_DIR), apply migrations, create the default admin (and apply ADMIN_PASSWORD to it;
 * in production refuse to start while an account has the development password), build every dependency
 * (buildDeps), and, when `opts.retention`, run retention every hour (asking before a lowered
 * RETENTION_DAYS deletes stored days).
 */
export async function startRuntime(config: Config, opts: RuntimeOptions): Promise<Runtime> {
  const log = logger(config);
  const database = await openDatabase(config, undefined, log);
  const platform = bunPlatform(config, database);
  let built: ApiDeps;
  let adminCreated: boolean;
  try {
    const applied = await migrate(database.sql, MIGRATIONS);
    if (applied.length) log({ level: "INFO", msg: "migrations applied", versions: applied });
    built = await buildDeps(config, platform, bunApi(config, log, database));
    adminCreated = await ensureAdminAccount(built.users, config);
    await secureAccountsAtStart(built.users, config, log);
  } catch (err) {
    await database.close();
    throw err;
  }

  // Hourly; a lowered RETENTION_DAYS deletes stored days only once confirmed (core/retention/plan.ts).
  const retention = !opts.retention
    ? null
    : startRetention({
        store: built.store,
        ...(built.anomalies ? { anomalies: built.anomalies } : {}),
        ...(built.patternRepo ? { patterns: built.patternRepo } : {}),
        settings: new PostgresSystemConfigRepo(database.sql),
        ...(built.retentionRules ? { rules: built.retentionRules } : {}),
        days: config.RETENTION_DAYS,
        confirmed: config.RETENTION_CONFIRM,
        log,
      });

  return {
    deps: built.app,
    built,
    sql: database.sql,
    database: database.label,
    adminCreated,
    retention,
    async close() {
      await retention?.close();
      await built.close();
    },
  };
}
