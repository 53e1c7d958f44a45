/**
 * Every runtime's dependencies, chosen in one place from the config: Bun (the API, the collector, the
 * scheduler and the indexer), Cloudflare Workers and Deno. What differs between runtimes comes in the
 * `Platform` (how the database is opened, which search client loads there, which queue ingest writes
 * to); every choice made from the config is made here, once. Imports nothing that needs a file system,
 * PGlite, Node's network modules or Bun: the Workers bundle includes this file.
 */
import type { Sql } from "postgres";
import { MemoryCache } from "../core/adapters/memory/cache.ts";
import { MemoryRateLimiter } from "../core/adapters/memory/rate-limiter.ts";
import {
  PostgresAlertRuleRepo,
  PostgresAlertTickRepo,
  PostgresTriggeredAlertRepo,
} from "../core/adapters/postgres/alert-repo.ts";
import { PostgresAnomalyRepo } from "../core/adapters/postgres/anomaly-repo.ts";
import { PostgresApiKeyRepo } from "../core/adapters/postgres/api-key-repo.ts";
import { PostgresArrivals } from "../core/adapters/postgres/arrivals.ts";
import { PostgresLogStore, type PostgresLogStoreOptions } from "../core/adapters/postgres/log-store.ts";
import { isPostgresOutage } from "../core/adapters/postgres/outage.ts";
import { PostgresPatternRepo } from "../core/adapters/postgres/pattern-repo.ts";
import { PostgresRetentionRuleRepo } from "../core/adapters/postgres/retention-rule-repo.ts";
import { PostgresSavedSearchRepo } from "../core/adapters/postgres/saved-search-repo.ts";
import { PostgresUserRepo } from "../core/adapters/postgres/user-repo.ts";
import {
  type EngineFlavor,
  isSearchEngineOutage,
  type SearchEngine,
} from "../core/adapters/search/backend.ts";
import { SearchLogStore } from "../core/adapters/search/log-store.ts";
import { searchStartupVerdict, searchUnavailable } from "../core/adapters/search/startup.ts";
import { upstashDeps } from "../core/adapters/upstash/deps.ts";
import { type Config, eventLimits } from "../core/config.ts";
import { instrumentStore } from "../core/instrumented-store.ts";
import type { LogLine } from "../core/logger.ts";
import { PatternAssigner } from "../core/patterns/assigner.ts";
import { patternStore } from "../core/patterns/store.ts";
import type { AlertRuleRepo, AlertTickRepo, TriggeredAlertRepo } from "../core/ports/alerts.ts";
import type { AnomalyRepo } from "../core/ports/anomalies.ts";
import type { ApiKeyRepo } from "../core/ports/api-keys.ts";
import type { Cache } from "../core/ports/cache.ts";
import type { LogArrivals } from "../core/ports/log-arrivals.ts";
import type { LogQueue } from "../core/ports/log-queue.ts";
import type { LogStore } from "../core/ports/log-store.ts";
import type { PatternRepo } from "../core/ports/patterns.ts";
import type { RateLimiter } from "../core/ports/rate-limiter.ts";
import type { RetentionRuleRepo } from "../core/ports/retention-rules.ts";
import type { SavedSearchRepo } from "../core/ports/saved-searches.ts";
import type { Telemetry } from "../core/ports/telemetry.ts";
import type { UserRepo } from "../core/ports/users.ts";
import { waitFor } from "../core/startup.ts";
import { ArrivalFeed, pokeOnWrite } from "../core/tail/feed.ts";
import { TokenService } from "../edge-api/auth/tokens.ts";
import { CacheStats } from "../edge-api/cache/response-cache.ts";
import type { AppDeps, HealthCheck, LiveTail } from "../edge-api/context.ts";
import { healthChecks } from "../edge-api/health/checks.ts";
import { TailSlots } from "../edge-api/logs/tail-slots.ts";
import { collect } from "../stream-jobs/collector/collect.ts";
import {
  UnconfiguredAlertRuleRepo,
  UnconfiguredLogStore,
  UnconfiguredTriggeredAlertRepo,
  UnconfiguredUserRepo,
} from "./unconfigured.ts";

/** The metadata database a runtime opened. */
export interface Database {
  sql: Sql;
  /** Shown as the database check's detail in /health (never the URL: it holds the password). */
  label: string;
  /** The Postgres log store's options on this database (PGlite's; no COPY behind Hyperdrive). */
  storeOptions: PostgresLogStoreOptions;
  /** Live connections to it (GET /api/v1/metrics/system); absent where not reported. */
  connections?: () => Promise<number>;
  /** Why it cannot serve now, when it can tell (the embedded database while it restarts), else null. */
  fault?: () => string | null;
  /** A write to it failed or took too long: let it check itself and recover (the embedded database). */
  suspect?: (why: string) => void;
  close(): Promise<void>;
}

/** Where an Elasticsearch or OpenSearch cluster is, and its credentials, as the config gives them. */
export interface SearchConnection {
  flavor: EngineFlavor;
  url: string;
  /** Elasticsearch only: an API key (the encoded form), preferred over username/password. */
  apiKey?: string;
  username?: string;
  password?: string;
}

/** What differs between the runtimes LogFlow runs on. */
export interface Platform {
  /** LogFlow's own log lines (stdout on Bun, the console at the edge). */
  log: LogLine;
  /** The database, opened by the runtime; undefined when none is configured (the edge without one). */
  database: Database | undefined;
  /** Shown in /health when `database` is undefined: what to set. */
  missingDatabase?: string;
  /** A client of the search engine: the official ones on Bun; plain fetch where those do not load. */
  searchEngine(connection: SearchConnection): SearchEngine;
  /**
   * When the search store's index template is installed: "at-start" in a long-lived process (a wrong
   * URL or credentials then stop it with the variable's name); else on first write, remembered in the
   * object given, which outlives one request's store (Workers isolates).
   */
  searchTemplate: "at-start" | { installed: boolean };
  /**
   * Without Upstash, keep the response cache and rate limits in this process. Right where one process
   * serves every request (Bun); an edge isolate would count alone, so there they stay off.
   */
  inProcessLimits: boolean;
  /** Counters and timings, with a /metrics exposition; absent where none is collected. */
  telemetry?: Telemetry;
  /**
   * This process's name among pattern miners, where a process lives long enough to keep miners (Bun);
   * absent: events are stored without a pattern (an edge isolate would restore miners per request).
   */
  patternNode?: string;
}

/** What the roles that serve the API add to a Platform. */
export interface ApiPlatform {
  /** The key that signs tokens. */
  secretKey: string;
  /** The ingest queue in front of the store. */
  queue(store: LogStore): LogQueue | Promise<LogQueue>;
  clientAddress?: AppDeps["clientAddress"];
  assets?: AppDeps["assets"];
  /** Count response-cache hits and misses for /api/v1/cache/stats. */
  cacheStats?: boolean;
}

/** Every role's dependencies. */
export interface Deps {
  config: Config;
  log: LogLine;
  telemetry: Telemetry | undefined;
  database: Database | undefined;
  store: LogStore;
  users: UserRepo;
  alertRules: AlertRuleRepo;
  triggeredAlerts: TriggeredAlertRepo;
  /** Where the alert scheduler claims its ticks; absent without a database. */
  alertTicks: AlertTickRepo | undefined;
  anomalies: AnomalyRepo | undefined;
  apiKeys: ApiKeyRepo | undefined;
  /** Per-service retention rules; absent without a database. */
  retentionRules: RetentionRuleRepo | undefined;
  /** Saved searches; absent without a database. */
  savedSearches: SavedSearchRepo | undefined;
  cache: Cache | undefined;
  rateLimiter: RateLimiter | undefined;
  /** Pattern templates (the API's patterns, new-pattern alert rules); absent without a database. */
  patternRepo: PatternRepo | undefined;
  /** Gives events their pattern id (embedded ingest, the Kafka indexer); absent where off. */
  patterns: PatternAssigner | undefined;
  /** The database and log store checks (and the cache's, with Upstash). */
  health: HealthCheck[];
  /** Close the database (waits up to 5 s for running queries) and the search client. Safe to call twice. */
  close(): Promise<void>;
}

export interface ApiDeps extends Deps {
  /** The API's dependencies (createApp), on top of the others. */
  app: AppDeps;
}

/** Choose every adapter for `config` on `platform`; with `api`, also what serving the API needs. */
export function buildDeps(config: Config, platform: Platform, api: ApiPlatform): Promise<ApiDeps>;
export function buildDeps(config: Config, platform: Platform): Promise<Deps>;
export async function buildDeps(config: Config, platform: Platform, api?: ApiPlatform): Promise<Deps> {
  const { log, database, telemetry } = platform;
  const sql = database?.sql;
  const built = await buildLogStore(config, platform);
  const store = telemetry ? instrumentStore(built.store, telemetry) : built.store;
  // Upstash Redis when configured (shared by every process and isolate), else in-process or none.
  const upstash = upstashDeps(config, log);
  const inProcess = platform.inProcessLimits;
  let closing: Promise<void> | undefined;
  const patternRepo = sql ? new PostgresPatternRepo(sql) : undefined;
  const patterns =
    config.PATTERNS_ENABLED && platform.patternNode
      ? new PatternAssigner({
          ...(patternRepo ? { repo: patternRepo } : {}),
          node: platform.patternNode,
          log,
        })
      : undefined;
  patterns?.start(config.PATTERN_SYNC_SECONDS * 1000);
  const deps: Deps = {
    config,
    log,
    telemetry,
    database,
    store,
    users: sql ? new PostgresUserRepo(sql) : new UnconfiguredUserRepo(),
    alertRules: sql ? new PostgresAlertRuleRepo(sql) : new UnconfiguredAlertRuleRepo(),
    triggeredAlerts: sql ? new PostgresTriggeredAlertRepo(sql) : new UnconfiguredTriggeredAlertRepo(),
    alertTicks: sql ? new PostgresAlertTickRepo(sql) : undefined,
    anomalies: sql ? new PostgresAnomalyRepo(sql) : undefined,
    apiKeys: sql ? new PostgresApiKeyRepo(sql) : undefined,
    retentionRules: sql ? new PostgresRetentionRuleRepo(sql) : undefined,
    savedSearches: sql ? new PostgresSavedSearchRepo(sql) : undefined,
    cache: upstash?.cache ?? (inProcess ? new MemoryCache() : undefined),
    rateLimiter: upstash
      ? upstash.rateLimiter
      : inProcess && config.RATE_LIMIT_ENABLED
        ? new MemoryRateLimiter()
        : undefined,
    patternRepo,
    patterns,
    health: [],
    close() {
      closing ??= (async () => {
        // What is pending of the patterns goes to the database before it closes.
        await patterns
          ?.close()
          .catch((err: unknown) => log({ level: "WARNING", msg: "patterns not saved", error: String(err) }));
        await database?.close();
        await built.close();
      })();
      return closing;
    },
  };
  const checks = (queue?: LogQueue) =>
    healthChecks({
      ping: sql
        ? async () => {
            const fault = database?.fault?.();
            if (fault) throw new Error(fault);
            return sql`select 1`;
          }
        : undefined,
      label: database?.label ?? "",
      ...(platform.missingDatabase ? { missing: platform.missingDatabase } : {}),
      store,
      ...(queue ? { queue } : {}),
      extra: upstash ? [upstash.health] : [],
    });
  deps.health = checks();
  if (!api) return deps;

  const tail = built.arrivals ? liveTail(config, built.arrivals, log) : undefined;
  // Writes the queue makes in this process wake the tails at once (Kafka's are another process's).
  const written = tail ? pokeOnWrite(store, tail.feed) : store;
  const queue = await api.queue(patterns ? patternStore(written, patterns) : written);
  const app: AppDeps = {
    settings: config,
    limits: eventLimits(config),
    store,
    queue,
    collect,
    users: deps.users,
    alertRules: deps.alertRules,
    triggeredAlerts: deps.triggeredAlerts,
    tokens: new TokenService(api.secretKey, config.ACCESS_TOKEN_EXPIRE_MINUTES),
    health: checks(queue),
    log,
    // Postgres holds users and alerts always, and the logs too unless a search engine does.
    outage: (err) =>
      isSearchEngineOutage(err)
        ? "log store"
        : isPostgresOutage(err)
          ? searchConnection(config)
            ? "database"
            : "log store"
          : null,
  };
  if (deps.anomalies) app.anomalies = deps.anomalies;
  if (patternRepo) app.patternRepo = patternRepo;
  if (deps.apiKeys) app.apiKeys = deps.apiKeys;
  if (deps.retentionRules) app.retentionRules = deps.retentionRules;
  if (deps.savedSearches) app.savedSearches = deps.savedSearches;
  if (deps.cache) app.cache = deps.cache;
  if (deps.rateLimiter) app.rateLimiter = deps.rateLimiter;
  if (telemetry) app.telemetry = telemetry;
  if (database?.connections) app.databaseConnections = database.connections;
  if (api.cacheStats) app.cacheStats = new CacheStats();
  if (api.clientAddress) app.clientAddress = api.clientAddress;
  if (api.assets) app.assets = api.assets;
  if (tail) app.tail = tail;
  const close = deps.close;
  const apiDeps: ApiDeps = {
    ...deps,
    app,
    // Open tails first (their clients resume elsewhere or later), then accepted events (the queue waits
    // for their writes), then the database under them.
    close: () => {
      tail?.slots.endAll();
      tail?.feed.stop();
      return queue.close().then(close);
    },
  };
  return apiDeps;
}

/** The live tail's shared reader and per-caller cap, from the TAIL_* settings. */
function liveTail(config: Config, arrivals: LogArrivals, log: LogLine): LiveTail {
  return {
    feed: new ArrivalFeed(arrivals, {
      pollMs: config.TAIL_POLL_MS,
      pageSize: 1_000,
      keepEvents: 10_000,
      log,
    }),
    slots: new TailSlots(config.TAIL_MAX_PER_USER),
    heartbeatMs: config.TAIL_HEARTBEAT_SECONDS * 1000,
    maxStreamMs: config.TAIL_MAX_SECONDS * 1000,
  };
}

/**
 * The log store for this config: Elasticsearch (ELASTICSEARCH_URL) or OpenSearch (OPENSEARCH_URL) when
 * set, else the Postgres tables of the database (real Postgres, or embedded PGlite), else a stand-in
 * that answers 503. Users, API keys and alerts stay in Postgres either way.
 */
export async function buildLogStore(
  config: Config,
  platform: Pick<Platform, "database" | "searchEngine" | "searchTemplate"> & Partial<Pick<Platform, "log">>,
): Promise<{ store: LogStore; arrivals?: LogArrivals; close(): Promise<void> }> {
  const search = searchConnection(config);
  if (!search) {
    const { database } = platform;
    if (!database) return { store: new UnconfiguredLogStore(), close: async () => {} };
    return {
      store: new PostgresLogStore(database.sql, database.storeOptions),
      arrivals: new PostgresArrivals(database.sql),
      close: async () => {},
    };
  }
  const engine = platform.searchEngine(search);
  const template = platform.searchTemplate;
  const store = new SearchLogStore(engine, {
    indexPrefix: config.SEARCH_INDEX_PREFIX,
    shards: config.SEARCH_INDEX_SHARDS,
    ...(template === "at-start" ? {} : { templateState: template }),
  });
  if (template === "at-start") {
    // Asked at start-up, so that a wrong URL or credentials is an error naming the variable rather than
    // a failure at first use; an engine still starting is waited for (STARTUP_WAIT_SECONDS).
    try {
      await waitFor(
        `${search.flavor} at ${new URL(search.url).origin}`,
        () => store.ensureTemplate(),
        (err) => searchStartupVerdict(search.flavor, search.url, err),
        (reason, waited) => searchUnavailable(search.flavor, search.url, reason, waited),
        { waitMs: config.STARTUP_WAIT_SECONDS * 1000, ...(platform.log ? { log: platform.log } : {}) },
      );
    } catch (err) {
      await engine.close().catch(() => {});
      throw err;
    }
  }
  return { store, close: () => engine.close() };
}

/** The search engine the config names, with its credentials; null for none (the Postgres store). */
export function searchConnection(config: Config): SearchConnection | null {
  if (config.ELASTICSEARCH_URL) {
    return {
      flavor: "elasticsearch",
      url: config.ELASTICSEARCH_URL,
      ...(config.ELASTICSEARCH_API_KEY ? { apiKey: config.ELASTICSEARCH_API_KEY } : {}),
      ...(config.ELASTICSEARCH_USERNAME !== undefined
        ? { username: config.ELASTICSEARCH_USERNAME, password: config.ELASTICSEARCH_PASSWORD ?? "" }
        : {}),
    };
  }
  if (config.OPENSEARCH_URL) {
    return {
      flavor: "opensearch",
      url: config.OPENSEARCH_URL,
      ...(config.OPENSEARCH_USERNAME !== undefined
        ? { username: config.OPENSEARCH_USERNAME, password: config.OPENSEARCH_PASSWORD ?? "" }
        : {}),
    };
  }
  return null;
}
