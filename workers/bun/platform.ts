/**
 * Bun's platform for buildDeps: the database (Postgres at DATABASE_URL, else PGlite embedded under
 * LOGFLOW_DATA_DIR), the official search-engine clients, the ingest queue (Kafka when KAFKA_BROKERS is
 * set, else in-process), Prometheus metrics and a signing key kept on disk.
 */

import { hostname } from "node:os";
import { isKafkaOutage } from "../../core/adapters/kafka/client.ts";
import { KafkaLogQueue } from "../../core/adapters/kafka/queue.ts";
import { kafkaUnavailable, waitForKafka } from "../../core/adapters/kafka/startup.ts";
import { localSecretKey } from "../../core/adapters/local/secret-key.ts";
import { MemoryLogQueue } from "../../core/adapters/memory/queue.ts";
import { openEmbeddedDatabase } from "../../core/adapters/pglite/open.ts";
import { connectPostgres } from "../../core/adapters/postgres/connect.ts";
import { EMBEDDED_STORE_OPTIONS } from "../../core/adapters/postgres/log-store.ts";
import { waitForPostgres } from "../../core/adapters/postgres/startup.ts";
import { prometheusTelemetry } from "../../core/adapters/prometheus/telemetry.ts";
import { elasticsearchEngine } from "../../core/adapters/search/elasticsearch.ts";
import { openSearchEngine } from "../../core/adapters/search/opensearch.ts";
import type { Config } from "../../core/config.ts";
import { jsonLogger } from "../../core/logger.ts";
import { oneLine } from "../../core/startup.ts";
import type { ApiPlatform, Database, Platform } from "../build-deps.ts";

/**
 * The database for this config: a pool on the Postgres server at DATABASE_URL, else the embedded PGlite
 * under LOGFLOW_DATA_DIR (one connection: PGlite runs one query at a time).
 */
export async function openDatabase(
  config: Config,
  applicationName?: string,
  log?: Platform["log"],
): Promise<Database> {
  if (config.DATABASE_URL) {
    // A server still starting is waited for; a database, role or password it refuses stops start-up
    // with a line naming DATABASE_URL (StartupError).
    await waitForPostgres(config.DATABASE_URL, {
      waitMs: config.STARTUP_WAIT_SECONDS * 1000,
      log: logger(config),
    });
    const sql = connectPostgres(config.DATABASE_URL, {
      max: config.DATABASE_POOL_SIZE,
      ...(applicationName ? { applicationName } : {}),
    });
    return {
      sql,
      label: "postgres",
      storeOptions: {},
      connections: connectionCount(sql),
      close: () => sql.end({ timeout: 5 }),
    };
  }
  // A write still waiting after STORE_WRITE_TIMEOUT_MS has the database checked; it is restarted only
  // if no statement finished for as long either (a slow thread is left to finish).
  const stallMs = config.STORE_WRITE_TIMEOUT_MS;
  const db = await openEmbeddedDatabase(config.LOGFLOW_DATA_DIR, log ? { log, stallMs } : { stallMs });
  return {
    sql: db.sql,
    label: `embedded (PGlite in ${db.dir})`,
    storeOptions: EMBEDDED_STORE_OPTIONS,
    connections: connectionCount(db.sql),
    fault: db.fault,
    suspect: db.suspect,
    close: () => db.close(),
  };
}

function connectionCount(sql: Database["sql"]): () => Promise<number> {
  return async () => {
    const [row] = await sql<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity where datname = current_database()`;
    return row?.n ?? 0;
  };
}

/** The official clients: Elasticsearch's checks that it talks to Elasticsearch; OpenSearch's its own. */
export const bunSearchEngine: Platform["searchEngine"] = (c) =>
  c.flavor === "elasticsearch" ? elasticsearchEngine(c) : openSearchEngine(c);

/** LogFlow's own log lines on Bun: JSON on stdout. */
export function logger(config: Config): Platform["log"] {
  return jsonLogger(config.LOG_LEVEL, (text) => process.stdout.write(`${text}\n`));
}

/** Bun's platform over an opened database. */
export function bunPlatform(config: Config, database: Database): Platform {
  return {
    log: logger(config),
    database,
    searchEngine: bunSearchEngine,
    searchTemplate: "at-start",
    inProcessLimits: true,
    // Stable across restarts (its saved state is found again) and distinct per process on one host.
    patternNode: config.PATTERN_NODE ?? `${hostname()}:${config.PORT}`,
    telemetry: prometheusTelemetry(database.connections ? { databaseConnections: database.connections } : {}),
  };
}

/** What Bun's API roles add: the signing key, the ingest queue, the client's address. */
export function bunApi(config: Config, log: Platform["log"], database?: Database): ApiPlatform {
  return {
    secretKey: secretKey(config),
    queue: async (store) => {
      // Kafka (cluster profile): publish resolves on the broker's ack, `bun run indexer` writes to the store.
      const brokers = config.KAFKA_BROKERS;
      if (brokers?.length) {
        await waitForKafka(brokers, { waitMs: config.STARTUP_WAIT_SECONDS * 1000, log });
        return KafkaLogQueue.connect({
          brokers,
          clientId: config.KAFKA_CLIENT_ID,
          topic: config.KAFKA_TOPIC,
          maxPending: config.QUEUE_MAX_PENDING,
          log,
        }).catch((err: unknown) => {
          // It answered the ping a moment ago: gone again, or a topic it refuses to create.
          throw isKafkaOutage(err) ? kafkaUnavailable(brokers, oneLine(err)) : err;
        });
      }
      // In-process group commit straight to the store (embedded default). The embedded database says
      // when it cannot take writes (and restarts itself): ingest answers 503 with why meanwhile.
      const { fault, suspect } = database ?? {};
      const guard =
        fault && suspect
          ? {
              fault,
              failed: (why: string) => {
                log({
                  level: "WARNING",
                  msg: "store write failed; checking the embedded database",
                  error: why,
                });
                suspect(why);
              },
              commitTimeoutMs: config.STORE_WRITE_TIMEOUT_MS,
            }
          : undefined;
      return new MemoryLogQueue(
        store,
        {
          maxPending: config.QUEUE_MAX_PENDING,
          batchSize: config.QUEUE_BATCH_SIZE,
          lingerMs: config.QUEUE_LINGER_MS,
          concurrency: config.DATABASE_URL ? Math.max(1, Math.min(4, config.DATABASE_POOL_SIZE - 1)) : 1,
        },
        guard,
      );
    },
    cacheStats: true,
    clientAddress: (c) => {
      if (config.TRUST_PROXY) {
        const forwarded = c.req.header("cf-connecting-ip") ?? c.req.header("x-forwarded-for")?.split(",")[0];
        if (forwarded?.trim()) return forwarded.trim();
      }
      // Bun.serve hands its server to fetch() as the second argument, which Hono exposes as c.env.
      const server = c.env as { requestIP?: (req: Request) => { address: string } | null } | undefined;
      return server?.requestIP?.(c.req.raw)?.address;
    },
  };
}

/**
 * The secret that signs tokens: SECRET_KEY when set (required in production), else one generated on
 * first start and kept in LOGFLOW_DATA_DIR so that tokens survive a restart.
 */
function secretKey(config: Config): string {
  if (config.SECRET_KEY) return config.SECRET_KEY;
  if (config.LOGFLOW_DATA_DIR === "memory://") return crypto.randomUUID() + crypto.randomUUID();
  return localSecretKey(config.LOGFLOW_DATA_DIR);
}
