/**
 * AppDeps for edge runtimes (Cloudflare Workers, Deno) from a plain env record. Imports nothing that
 * needs a file system, PGlite or Bun: the worker bundle must stay runtime-neutral. Migrations and the
 * default admin are not done here; they run from Bun (`bun run db:migrate`) against the same database.
 */
import type { Sql } from "postgres";
import { DirectLogQueue } from "../core/adapters/memory/direct-queue.ts";
import { PostgresAlertRuleRepo, PostgresTriggeredAlertRepo } from "../core/adapters/postgres/alert-repo.ts";
import { PostgresAnomalyRepo } from "../core/adapters/postgres/anomaly-repo.ts";
import { PostgresApiKeyRepo } from "../core/adapters/postgres/api-key-repo.ts";
import { connectPostgres } from "../core/adapters/postgres/connect.ts";
import { PostgresLogStore } from "../core/adapters/postgres/log-store.ts";
import { PostgresUserRepo } from "../core/adapters/postgres/user-repo.ts";
import { fetchEngine } from "../core/adapters/search/fetch.ts";
import { SearchLogStore } from "../core/adapters/search/log-store.ts";
import { upstashDeps } from "../core/adapters/upstash/deps.ts";
import { type Config, ConfigError, eventLimits, loadConfig } from "../core/config.ts";
import { AppError } from "../core/errors.ts";
import { jsonLogger } from "../core/logger.ts";
import type { AlertRuleRepo, TriggeredAlertRepo } from "../core/ports/alerts.ts";
import type { LogStore, StoreHealth } from "../core/ports/log-store.ts";
import type { UserRepo } from "../core/ports/users.ts";
import { TokenService } from "../edge-api/auth/tokens.ts";
import type { AppDeps } from "../edge-api/context.ts";
import { healthChecks } from "../edge-api/health/checks.ts";

/**
 * Whether this isolate already installed the search engine's index template. A boolean, not the
 * request's promise: Workers must not await I/O begun by another request.
 */
const searchTemplate = { installed: false };

export const DATABASE_URL_MISSING =
  "DATABASE_URL is not set: this instance has no database. Set it to a postgres:// URL " +
  "(Workers: `wrangler secret put DATABASE_URL`; Deno: the environment), then run `bun run db:migrate` against it.";

export interface EdgeDeps {
  deps: AppDeps;
  config: Config;
  /** "postgres" when DATABASE_URL is set, else "unconfigured" (the API answers 503 where it needs data). */
  database: "postgres" | "unconfigured";
  /** The database client (absent when unconfigured): the scheduled handler's alert tick claims ticks with it. */
  sql?: Sql;
  /** Close the database client (waits up to 5 s for running queries). Safe to call more than once. */
  close(): Promise<void>;
}

export interface EdgeOptions {
  /**
   * postgres.js pool size. Defaults to DATABASE_POOL_SIZE. On Workers keep it at 5 or below: one
   * invocation may hold at most 6 open outbound connections.
   */
  poolSize?: number;
  /** Shown as the database check's detail in /health (never the URL: it holds the password). */
  databaseLabel?: string;
  assets?: AppDeps["assets"];
}

/**
 * Keep only the string entries of a runtime's env. A Workers env also holds bindings (objects), which
 * are not configuration and would only confuse the config parser.
 */
export function stringVars(env: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === "string") out[k] = v;
  return out;
}

// Rejects (never throws synchronously), as every port method is async.
const unconfigured = async (): Promise<never> => {
  throw new AppError("UNAVAILABLE", DATABASE_URL_MISSING);
};

/**
 * Stands in for the log store when there is no database: every read and write fails with a 503 that
 * says why, and health() reports unhealthy. It never pretends to hold data.
 */
export class UnconfiguredLogStore implements LogStore {
  write = unconfigured;
  search = unconfigured;
  get = unconfigured;
  recent = unconfigured;
  count = unconfigured;
  countMany = unconfigured;
  histogram = unconfigured;
  breakdown = unconfigured;
  topMessages = unconfigured;
  stats = unconfigured;
  deleteOlderThan = unconfigured;
  async health(): Promise<StoreHealth> {
    return { status: "unhealthy", detail: DATABASE_URL_MISSING };
  }
}

/** The user repository's stand-in without a database: login, register and /me answer 503. */
export class UnconfiguredUserRepo implements UserRepo {
  create = unconfigured;
  findById = unconfigured;
  findCredentials = unconfigured;
  list = unconfigured;
  update = unconfigured;
  ensure = unconfigured;
}

/** The alert repositories' stand-ins without a database: the alert API answers 503. */
export class UnconfiguredAlertRuleRepo implements AlertRuleRepo {
  create = unconfigured;
  get = unconfigured;
  list = unconfigured;
  update = unconfigured;
  delete = unconfigured;
  listActive = unconfigured;
  recordEvaluations = unconfigured;
}

export class UnconfiguredTriggeredAlertRepo implements TriggeredAlertRepo {
  fire = unconfigured;
  openFor = unconfigured;
  addDelivery = unconfigured;
  get = unconfigured;
  list = unconfigured;
  acknowledge = unconfigured;
  resolve = unconfigured;
}

/**
 * Build the API's dependencies for one edge process (Deno) or one request (Workers, where a socket
 * opened in one request cannot be used by another). Throws ConfigError for a bad or missing variable,
 * SECRET_KEY included: an edge runtime has nowhere to keep a generated key, and isolates that each made
 * their own would reject each other's tokens.
 *
 * postgres.js opens connections lazily, so a request that never touches the database costs no
 * connection.
 */
export function buildEdgeDeps(env: Record<string, unknown>, opts: EdgeOptions = {}): EdgeDeps {
  const config = loadConfig(stringVars(env), { createsAdmin: false });
  if (!config.SECRET_KEY) {
    throw new ConfigError([
      "SECRET_KEY: is required on edge runtimes (Workers: `wrangler secret put SECRET_KEY`; e.g. openssl rand -hex 32)",
    ]);
  }
  const log = jsonLogger(config.LOG_LEVEL, (text) => console.log(text));
  const tokens = new TokenService(config.SECRET_KEY, config.ACCESS_TOKEN_EXPIRE_MINUTES);

  let sql: Sql | undefined;
  let store: LogStore;
  let users: UserRepo;
  let alertRules: AlertRuleRepo;
  let triggeredAlerts: TriggeredAlertRepo;
  if (config.DATABASE_URL) {
    sql = connectPostgres(config.DATABASE_URL, {
      max: opts.poolSize ?? config.DATABASE_POOL_SIZE,
      applicationName: "logflow-edge",
    });
    // No COPY on the edge: Hyperdrive, between a Worker and Postgres, does not document COPY FROM STDIN,
    // and its writes are single requests' batches; the insert statements are plain queries.
    store = new PostgresLogStore(sql, { copyFromRows: Number.POSITIVE_INFINITY });
    users = new PostgresUserRepo(sql);
    alertRules = new PostgresAlertRuleRepo(sql);
    triggeredAlerts = new PostgresTriggeredAlertRepo(sql);
  } else {
    store = new UnconfiguredLogStore();
    users = new UnconfiguredUserRepo();
    alertRules = new UnconfiguredAlertRuleRepo();
    triggeredAlerts = new UnconfiguredTriggeredAlertRepo();
  }
  // Elasticsearch or OpenSearch as the log store: over plain fetch (the official clients do not load in
  // workerd). Users, keys and alerts stay in Postgres.
  const searchUrl = config.ELASTICSEARCH_URL ?? config.OPENSEARCH_URL;
  if (searchUrl) {
    const elastic = config.ELASTICSEARCH_URL !== undefined;
    const username = elastic ? config.ELASTICSEARCH_USERNAME : config.OPENSEARCH_USERNAME;
    const password = elastic ? config.ELASTICSEARCH_PASSWORD : config.OPENSEARCH_PASSWORD;
    store = new SearchLogStore(
      fetchEngine({
        url: searchUrl,
        flavor: elastic ? "elasticsearch" : "opensearch",
        ...(elastic && config.ELASTICSEARCH_API_KEY ? { apiKey: config.ELASTICSEARCH_API_KEY } : {}),
        ...(username !== undefined ? { username, password: password ?? "" } : {}),
      }),
      { indexPrefix: config.SEARCH_INDEX_PREFIX, templateState: searchTemplate },
    );
  }
  const queue = new DirectLogQueue(store);
  const db = sql;
  const label = opts.databaseLabel ?? "postgres";

  // Rate limits and the cache need a store shared by every isolate: only with Upstash.
  const upstash = upstashDeps(config, log);
  const deps: AppDeps = {
    settings: config,
    limits: eventLimits(config),
    store,
    queue,
    users,
    apiKeys: sql ? new PostgresApiKeyRepo(sql) : undefined,
    anomalies: sql ? new PostgresAnomalyRepo(sql) : undefined,
    alertRules,
    triggeredAlerts,
    tokens,
    health: healthChecks({
      sql: db,
      label,
      missing: DATABASE_URL_MISSING,
      store,
      queue,
      extra: upstash ? [upstash.health] : [],
    }),
    log,
  };
  if (upstash) {
    deps.cache = upstash.cache;
    if (upstash.rateLimiter) deps.rateLimiter = upstash.rateLimiter;
  }
  if (opts.assets) deps.assets = opts.assets;

  let closing: Promise<void> | undefined;
  return {
    deps,
    config,
    database: db ? "postgres" : "unconfigured",
    ...(db ? { sql: db } : {}),
    close() {
      closing ??= (async () => {
        await queue.close();
        await db?.end({ timeout: 5 });
      })();
      return closing;
    },
  };
}
