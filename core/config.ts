import { z } from "zod";
import type { EventLimits } from "./log-event.ts";
import { judgePassword } from "./users/password-policy.ts";

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const list = z.string().transform((v) =>
  v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
);

/**
 * Every setting LogFlow reads from the environment. Parsed once at start-up; a bad value stops the
 * process with a message naming the variable. Unset engine URLs keep the embedded adapter.
 */
export const ConfigSchema = z
  .object({
    ENVIRONMENT: z.enum(["development", "production", "test"]).default("development"),
    PORT: int(0, 65_535).default(8000),
    HOST: z.string().default("0.0.0.0"),
    LOGFLOW_DATA_DIR: z.string().min(1).default(".data"),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
      .optional(),
    DATABASE_POOL_SIZE: int(1, 200).default(10),
    SECRET_KEY: z.string().min(32, "must be at least 32 characters (e.g. openssl rand -hex 32)").optional(),
    ACCESS_TOKEN_EXPIRE_MINUTES: int(1, 7 * 24 * 60).default(30),
    ADMIN_USERNAME: z.string().min(3).default("admin"),
    ADMIN_PASSWORD: z.string().min(1).optional(),
    ADMIN_EMAIL: z.email().default("admin@logflow.local"),
    BCRYPT_ROUNDS: int(4, 15).default(10),
    RETENTION_DAYS: int(1, 3650).default(30),
    /** Delete what a lowered RETENTION_DAYS drops (else it is announced and kept); also `--yes` at start. */
    RETENTION_CONFIRM: bool.default(false),
    INGEST_MAX_BODY_BYTES: int(1024, 256 * 1024 * 1024).default(10 * 1024 * 1024),
    INGEST_MAX_EVENTS: int(1, 100_000).default(10_000),
    /**
     * `none` takes ingest (every protocol) without credentials, for private networks where shippers
     * cannot send any; everything else still needs them.
     */
    INGEST_AUTH: z.enum(["required", "none"]).default("required"),
    /**
     * How `/_bulk` answers while the ingest queue is full (nothing of the request stored): `items`, as
     * Elasticsearch does (200, every document 429 in its item, which its clients send again), or
     * `request` (503 with Retry-After), for shippers that send again only a request that failed as a
     * whole: rsyslog's omelasticsearch and syslog-ng's elasticsearch-http() lose 429 items.
     */
    BULK_FULL_QUEUE: z.enum(["items", "request"]).default("items"),
    /**
     * Syslog (RFC 5424/3164) on this port, TCP and UDP, bound to HOST; off when unset. Served by
     * `bun run dev`, `bun run api` without Kafka, and the collector role. Syslog carries no credentials: a trusted network only.
     */
    SYSLOG_PORT: int(0, 65_535).optional(),
    INGEST_MAX_BYTES_IN_FLIGHT: int(1024, 4 * 1024 * 1024 * 1024).default(64 * 1024 * 1024),
    MAX_MESSAGE_CHARS: int(64, 1024 * 1024).default(32_768),
    MAX_ATTRIBUTES: int(0, 1000).default(64),
    QUEUE_MAX_PENDING: int(1000, 10_000_000).default(100_000),
    QUEUE_BATCH_SIZE: int(1, 10_000).default(5_000),
    QUEUE_LINGER_MS: int(0, 10_000).default(5),
    STORE_WRITE_TIMEOUT_MS: int(1_000, 600_000).default(15_000),
    CORS_ORIGINS: list.default([]),
    LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
    /** How long start-up waits for Postgres, Kafka and the search engine to answer before giving up. */
    STARTUP_WAIT_SECONDS: int(0, 3600).default(30),
    // Cluster engines. Each switches one adapter when set.
    KAFKA_BROKERS: list.optional(),
    KAFKA_TOPIC: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,200}$/, "must be a Kafka topic name")
      .default("logs"),
    KAFKA_GROUP_ID: z.string().min(1).default("logflow-indexer"),
    KAFKA_CLIENT_ID: z.string().min(1).default("logflow"),
    ELASTICSEARCH_URL: z.url().optional(),
    ELASTICSEARCH_API_KEY: z.string().optional(),
    ELASTICSEARCH_USERNAME: z.string().optional(),
    ELASTICSEARCH_PASSWORD: z.string().optional(),
    OPENSEARCH_URL: z.url().optional(),
    OPENSEARCH_USERNAME: z.string().optional(),
    OPENSEARCH_PASSWORD: z.string().optional(),
    /** Prefix of the indices (or data stream) LogFlow owns in Elasticsearch/OpenSearch. */
    SEARCH_INDEX_PREFIX: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,100}$/, "must be a lowercase index name prefix")
      .default("logflow-logs"),
    /** Primary shards of each day's index: about one per 30–50 GB a day writes (README "Scaling"). */
    SEARCH_INDEX_SHARDS: int(1, 1024).default(1),
    UPSTASH_REDIS_REST_URL: z.url().optional(),
    UPSTASH_REDIS_REST_TOKEN: z.string().optional(),
    DEMO: bool.default(false),
    RATE_LIMIT_ENABLED: bool.default(true),
    /** Multiplies every rate limit (benchmarks and load tests: the limiter still runs per request). */
    RATE_LIMIT_SCALE: int(1, 1_000_000_000).default(1),
    /** Believe X-Forwarded-For / CF-Connecting-IP for the client address (only behind a proxy you run). */
    TRUST_PROXY: bool.default(false),
    // Alerting: how often the scheduler evaluates every active rule, and whether webhooks may target
    // private, loopback and link-local addresses (tests and self-hosted setups; off by default: SSRF).
    ALERT_EVAL_INTERVAL_SECONDS: int(5, 3600).default(60),
    // Live tail (GET /api/v1/logs/tail). The cap counts per API process (each replica its own).
    TAIL_MAX_PER_USER: int(1, 1000).default(5),
    /** How often the store is read for new events while any tail is open, ms: the most one waits. */
    TAIL_POLL_MS: int(20, 10_000).default(250),
    /** A comment line after this long without events, so that proxies keep an idle stream open. */
    TAIL_HEARTBEAT_SECONDS: int(1, 300).default(15),
    /** A stream ends after this long; the client resumes with Last-Event-ID (and its token is checked again). */
    TAIL_MAX_SECONDS: int(1, 86_400).default(300),
    ALLOW_PRIVATE_WEBHOOKS: bool.default(false),
    // Access (README "Access model"). Unset, each takes its environment's default (resolved in loadConfig).
    /** Who may read logs, metrics, alerts and anomalies: anyone, or a session / an API key with `read`. */
    READ_ACCESS: z.enum(["public", "authenticated"]).optional(),
    /** Whether anyone may create an account (POST /api/v1/auth/register), or only admins. */
    REGISTRATION: z.enum(["open", "closed"]).optional(),
    /** A bearer token Prometheus presents for GET /metrics in production (else admin sessions only). */
    METRICS_TOKEN: z
      .string()
      .min(16, "must be at least 16 characters (e.g. openssl rand -hex 32)")
      .optional(),
    // Log patterns (core/patterns): every stored event gets its template's id.
    PATTERNS_ENABLED: bool.default(true),
    /** How often counts and miner states are saved, and other indexers' states absorbed. */
    PATTERN_SYNC_SECONDS: int(1, 3600).default(30),
    /** This process's name among the miners (default host:PORT); stable across restarts. */
    PATTERN_NODE: z.string().trim().min(1).max(200).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.ENVIRONMENT === "production") {
      if (!c.SECRET_KEY) {
        ctx.addIssue({
          code: "custom",
          path: ["SECRET_KEY"],
          message: "is required when ENVIRONMENT=production",
        });
      }
    }
    if (c.UPSTASH_REDIS_REST_URL && !c.UPSTASH_REDIS_REST_TOKEN) {
      ctx.addIssue({
        code: "custom",
        path: ["UPSTASH_REDIS_REST_TOKEN"],
        message: "is required when UPSTASH_REDIS_REST_URL is set (the REST token of that database)",
      });
    }
    if (c.ELASTICSEARCH_URL && c.OPENSEARCH_URL) {
      ctx.addIssue({
        code: "custom",
        path: ["OPENSEARCH_URL"],
        message: "and ELASTICSEARCH_URL are both set; choose one log store",
      });
    }
  });

/** The parsed settings, with the access settings resolved to their environment's default. */
export type Config = Omit<z.output<typeof ConfigSchema>, "READ_ACCESS" | "REGISTRATION"> & {
  READ_ACCESS: "public" | "authenticated";
  REGISTRATION: "open" | "closed";
};

/** READ_ACCESS and REGISTRATION as set, else closed in production and open elsewhere (a local trial). */
export function accessDefaults(c: z.output<typeof ConfigSchema>): Config {
  const production = c.ENVIRONMENT === "production";
  return {
    ...c,
    READ_ACCESS: c.READ_ACCESS ?? (production ? "authenticated" : "public"),
    REGISTRATION: c.REGISTRATION ?? (production ? "closed" : "open"),
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/**
 * Parse the environment. Empty strings count as unset, as in most .env tooling. `createsAdmin: false`
 * is for runtimes that never create the admin account, so production does not demand ADMIN_PASSWORD there.
 */
export function loadConfig(
  env: Record<string, string | undefined>,
  opts: { createsAdmin?: boolean } = {},
): Config {
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== "") cleaned[k] = v;
  const parsed = ConfigSchema.safeParse(cleaned);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((i) => `${i.path.join(".") || "config"}: ${i.message}`);
  const production = (cleaned.ENVIRONMENT ?? "development") === "production";
  const password = cleaned.ADMIN_PASSWORD;
  if (production && opts.createsAdmin !== false && (!password || password === DEV_ADMIN_PASSWORD)) {
    problems.push("ADMIN_PASSWORD: must be set to a non-default password when ENVIRONMENT=production");
  } else if (production && password) {
    const account = { username: cleaned.ADMIN_USERNAME ?? "admin", email: cleaned.ADMIN_EMAIL };
    for (const why of judgePassword(password, account, "refuse").refusals)
      problems.push(`ADMIN_PASSWORD: ${why}`);
  }
  if (problems.length || !parsed.success) throw new ConfigError(problems);
  return accessDefaults(parsed.data);
}

/** The per-event limits the config sets, as the ingest path reads them. */
export function eventLimits(config: Config): EventLimits {
  return {
    maxMessageChars: config.MAX_MESSAGE_CHARS,
    maxAttributes: config.MAX_ATTRIBUTES,
    maxAttributeValueChars: 4096,
    maxAgeMs: config.RETENTION_DAYS * 86_400_000,
    maxFutureMs: 86_400_000,
  };
}

/** The default admin password outside production (the seed's). */
export const DEV_ADMIN_PASSWORD = "admin123";
