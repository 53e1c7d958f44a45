import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Sql } from "postgres";
import { MemoryCache } from "../../core/adapters/memory/cache.ts";
import { MemoryRateLimiter } from "../../core/adapters/memory/rate-limiter.ts";
import { openEmbeddedDatabase } from "../../core/adapters/pglite/open.ts";
import {
  PostgresAlertRuleRepo,
  PostgresTriggeredAlertRepo,
} from "../../core/adapters/postgres/alert-repo.ts";
import { PostgresAnomalyRepo } from "../../core/adapters/postgres/anomaly-repo.ts";
import { PostgresApiKeyRepo } from "../../core/adapters/postgres/api-key-repo.ts";
import { connectPostgres } from "../../core/adapters/postgres/connect.ts";
import { migrate } from "../../core/adapters/postgres/migrate.ts";
import { PostgresUserRepo } from "../../core/adapters/postgres/user-repo.ts";
import { prometheusTelemetry } from "../../core/adapters/prometheus/telemetry.ts";
import { upstashDeps } from "../../core/adapters/upstash/deps.ts";
import { type Config, DEV_ADMIN_PASSWORD, eventLimits } from "../../core/config.ts";
import { instrumentStore } from "../../core/instrumented-store.ts";
import { jsonLogger } from "../../core/logger.ts";
import { MIGRATIONS } from "../../db/migrations/index.ts";
import { hashPassword } from "../../edge-api/auth/passwords.ts";
import { TokenService } from "../../edge-api/auth/tokens.ts";
import { CacheStats } from "../../edge-api/cache/response-cache.ts";
import type { AppDeps } from "../../edge-api/context.ts";
import { healthChecks } from "../../edge-api/health/checks.ts";
import { selectQueue } from "./select-queue.ts";
import { selectStore } from "./select-store.ts";

export interface Runtime {
  deps: AppDeps;
  sql: Sql;
  /** "embedded (PGlite in …)" or "postgres". */
  database: string;
  adminCreated: boolean;
  close(): Promise<void>;
}

/**
 * The secret that signs tokens: SECRET_KEY when set (required in production), else one generated on
 * first start and kept in LOGFLOW_DATA_DIR so that tokens survive a restart.
 */
function secretKey(config: Config): string {
  if (config.SECRET_KEY) return config.SECRET_KEY;
  if (config.LOGFLOW_DATA_DIR === "memory://") return crypto.randomUUID() + crypto.randomUUID();
  const dir = resolve(config.LOGFLOW_DATA_DIR);
  const file = join(dir, "secret.key");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(dir, { recursive: true });
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const key = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  writeFileSync(file, key, { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}

/**
 * Build every dependency of the API from the config: the database (Postgres at DATABASE_URL, else
 * embedded PGlite under LOGFLOW_DATA_DIR), migrations, the default admin, the log store and the
 * in-process ingest queue.
 */
export async function startRuntime(config: Config): Promise<Runtime> {
  const log = jsonLogger(config.LOG_LEVEL, (text) => process.stdout.write(`${text}\n`));
  let sql: Sql;
  let closeDb: () => Promise<void>;
  let database: string;
  if (config.DATABASE_URL) {
    sql = connectPostgres(config.DATABASE_URL, { max: config.DATABASE_POOL_SIZE });
    closeDb = () => sql.end({ timeout: 5 });
    database = "postgres";
  } else {
    const db = await openEmbeddedDatabase(config.LOGFLOW_DATA_DIR);
    sql = db.sql;
    closeDb = () => db.close();
    database = `embedded (PGlite in ${db.dir})`;
  }

  try {
    const applied = await migrate(sql, MIGRATIONS);
    if (applied.length) log({ level: "INFO", msg: "migrations applied", versions: applied });

    const users = new PostgresUserRepo(sql);
    const adminCreated = await users.ensure({
      username: config.ADMIN_USERNAME,
      email: config.ADMIN_EMAIL,
      hashedPassword: await hashPassword(config.ADMIN_PASSWORD ?? DEV_ADMIN_PASSWORD, config.BCRYPT_ROUNDS),
      fullName: "Administrator",
      isAdmin: true,
    });

    const databaseConnections = async () => {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity where datname = current_database()`;
      return row?.n ?? 0;
    };
    const telemetry = prometheusTelemetry({ databaseConnections });
    const store = instrumentStore(await selectStore(config, sql), telemetry);
    const queue = await selectQueue(config, store, log);

    const anomalies = new PostgresAnomalyRepo(sql);
    const retention = async () => {
      try {
        const cutoff = Date.now() - config.RETENTION_DAYS * 86_400_000;
        const removed = await store.deleteOlderThan(cutoff);
        await anomalies.deleteOlderThan(cutoff);
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

    // Upstash Redis when configured (shared by every process), else in-process memory.
    const upstash = upstashDeps(config, log);
    const deps: AppDeps = {
      settings: config,
      limits: eventLimits(config),
      store,
      queue,
      users,
      alertRules: new PostgresAlertRuleRepo(sql),
      triggeredAlerts: new PostgresTriggeredAlertRepo(sql),
      anomalies,
      tokens: new TokenService(secretKey(config), config.ACCESS_TOKEN_EXPIRE_MINUTES),
      health: healthChecks({ sql, label: database, store, queue, extra: upstash ? [upstash.health] : [] }),
      log,
      telemetry,
      databaseConnections,
      apiKeys: new PostgresApiKeyRepo(sql),
      rateLimiter: upstash
        ? upstash.rateLimiter
        : config.RATE_LIMIT_ENABLED
          ? new MemoryRateLimiter()
          : undefined,
      cache: upstash?.cache ?? new MemoryCache(),
      cacheStats: new CacheStats(),
      clientAddress: (c) => {
        if (config.TRUST_PROXY) {
          const forwarded =
            c.req.header("cf-connecting-ip") ?? c.req.header("x-forwarded-for")?.split(",")[0];
          if (forwarded?.trim()) return forwarded.trim();
        }
        // Bun.serve hands its server to fetch() as the second argument, which Hono exposes as c.env.
        const server = c.env as { requestIP?: (req: Request) => { address: string } | null } | undefined;
        return server?.requestIP?.(c.req.raw)?.address;
      },
    };

    return {
      deps,
      sql,
      database,
      adminCreated,
      async close() {
        clearInterval(retentionTimer);
        await retaining;
        await queue.close();
        await closeDb();
      },
    };
  } catch (err) {
    await closeDb();
    throw err;
  }
}
