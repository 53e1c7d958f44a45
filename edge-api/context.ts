import type { Context } from "hono";
import type { ApiKeyScope } from "../core/api-keys/schema.ts";
import type { Config } from "../core/config.ts";
import type { EventLimits } from "../core/log-event.ts";
import type { AlertRuleRepo, TriggeredAlertRepo } from "../core/ports/alerts.ts";
import type { AnomalyRepo } from "../core/ports/anomalies.ts";
import type { ApiKeyRepo } from "../core/ports/api-keys.ts";
import type { Cache } from "../core/ports/cache.ts";
import type { Collect } from "../core/ports/collector.ts";
import type { LogQueue } from "../core/ports/log-queue.ts";
import type { LogStore, StoreHealth } from "../core/ports/log-store.ts";
import type { PatternRepo } from "../core/ports/patterns.ts";
import type { RateLimiter } from "../core/ports/rate-limiter.ts";
import type { RetentionRuleRepo } from "../core/ports/retention-rules.ts";
import type { SavedSearchRepo } from "../core/ports/saved-searches.ts";
import type { Telemetry } from "../core/ports/telemetry.ts";
import type { UserRepo } from "../core/ports/users.ts";
import type { ArrivalFeed } from "../core/tail/feed.ts";
import type { TokenService } from "./auth/tokens.ts";
import type { CacheStats } from "./cache/response-cache.ts";
import type { TailSlots } from "./logs/tail-slots.ts";

/** The settings the API reads; a subset of Config so edge runtimes can build it from their bindings. */
export type ApiSettings = Pick<
  Config,
  | "ENVIRONMENT"
  | "ACCESS_TOKEN_EXPIRE_MINUTES"
  | "BCRYPT_ROUNDS"
  | "INGEST_MAX_BODY_BYTES"
  | "INGEST_MAX_EVENTS"
  | "INGEST_AUTH"
  | "BULK_FULL_QUEUE"
  | "INGEST_MAX_BYTES_IN_FLIGHT"
  | "CORS_ORIGINS"
  | "ALLOW_PRIVATE_WEBHOOKS"
  | "READ_ACCESS"
  | "REGISTRATION"
  | "METRICS_TOKEN"
  | "RETENTION_DAYS"
> &
  Partial<Pick<Config, "RATE_LIMIT_SCALE">>;

/** A check shown under `services` in /health. `required` ones make /health answer 503 when down. */
export interface HealthCheck {
  name: string;
  required: boolean;
  check(): Promise<StoreHealth>;
}

/** What GET /api/v1/logs/tail shares across the streams of a process. */
export interface LiveTail {
  /** The one reader of the store's arrival order that every tail takes from. */
  feed: ArrivalFeed;
  /** Open tails per caller (TAIL_MAX_PER_USER). */
  slots: TailSlots;
  /** A comment line after this long without events, ms (TAIL_HEARTBEAT_SECONDS). */
  heartbeatMs: number;
  /** A stream ends after this long, ms (TAIL_MAX_SECONDS); its client resumes with Last-Event-ID. */
  maxStreamMs: number;
}

/**
 * Where a runtime that builds dependencies per request (Workers: a socket of one request cannot serve
 * another) hands them to the app it built once: `app.fetch(request, { [REQUEST_DEPS]: deps })`, read
 * back from Hono's `c.env`. Without it every request uses the deps the app was built with.
 */
export const REQUEST_DEPS = "logflowRequestDeps";

/** Everything the API needs, built once by an entrypoint (workers/) and handed in. */
export interface AppDeps {
  settings: ApiSettings;
  limits: EventLimits;
  store: LogStore;
  queue: LogQueue;
  /** The collector: ingest routes hand it what they read, and it publishes to `queue`. */
  collect: Collect;
  users: UserRepo;
  alertRules: AlertRuleRepo;
  triggeredAlerts: TriggeredAlertRepo;
  /** Anomalies the scheduler recorded; absent where there is no database to keep them in. */
  anomalies?: AnomalyRepo;
  /** Log pattern templates (GET /api/v1/logs/patterns); absent where there is no database. */
  patternRepo?: PatternRepo;
  tokens: TokenService;
  health: HealthCheck[];
  /** Serves `/` and static assets when present (the dashboard); absent on API-only roles. */
  assets?: (req: Request) => Promise<Response | null>;
  /** Open connections to the metadata database (GET /api/v1/metrics/system); absent where unknown. */
  databaseConnections?: () => Promise<number>;
  /** Epoch ms; injectable for tests. */
  now?: () => number;
  /** Per-service retention rules; absent where there is no database to keep them in. */
  retentionRules?: RetentionRuleRepo;
  /** Saved searches; absent where there is no database to keep them in. */
  savedSearches?: SavedSearchRepo;
  /** API keys for shippers; absent means bearer JWTs only. */
  apiKeys?: ApiKeyRepo;
  /** Per-endpoint rate limits; absent means none (RATE_LIMIT_ENABLED=false, or no shared store on the edge). */
  rateLimiter?: RateLimiter;
  /**
   * The cache for computed answers (metrics): Upstash Redis when UPSTASH_REDIS_REST_URL is set, else
   * in-process memory on Bun; absent on the edge without Upstash (nothing shared to cache in).
   */
  cache?: Cache;
  /** Hits and misses of `cache` per key prefix, for /api/v1/cache/stats. */
  cacheStats?: CacheStats;
  /** The client's address for rate limiting by IP (runtime-specific; proxies' headers only with TRUST_PROXY). */
  clientAddress?: (c: Context<AppEnv>) => string | undefined;
  /** Counters and timings for /metrics; absent means not collected. */
  telemetry?: Telemetry;
  /** The live tail; absent where the log store keeps no arrival order (the route answers 503 saying so). */
  tail?: LiveTail;
  /** Where the API writes its own log lines (one JSON object per line). */
  log?: (line: Record<string, unknown>) => void;
  /**
   * Which dependency an error says is unavailable for now ("log store", "database"), or null when it is
   * not an outage: the API answers those 503 with Retry-After instead of 500. Absent: every error is a fault.
   */
  outage?: (err: unknown) => string | null;
}

export interface AuthUser {
  id: number;
  username: string;
  isAdmin: boolean;
  /** Set when the request came with an API key: what the key may do. Absent for a user session. */
  scopes?: ApiKeyScope[];
}

export type AppEnv = {
  Variables: {
    deps: AppDeps;
    /** The route pattern that answers (`/api/v1/logs/:id`), or "unmatched"; set by requestContext. */
    endpoint: string;
    requestId: string;
    correlationId: string;
    user: AuthUser | undefined;
  };
};
