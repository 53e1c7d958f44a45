/**
 * `bun run indexer`: the indexer role (cluster profile). Consumes the Kafka log topic and writes to the
 * log store chosen by selectStore (Postgres at DATABASE_URL, or the search engine when configured);
 * offsets are committed only after the store write. /health reports the consumer lag; /metrics exports
 * lag, batch sizes and durations, events indexed and dead-lettered.
 */
import { Counter, Gauge, Histogram } from "prom-client";
import { KafkaIndexer } from "../../core/adapters/kafka/indexer.ts";
import { connectPostgres } from "../../core/adapters/postgres/connect.ts";
import { migrate } from "../../core/adapters/postgres/migrate.ts";
import { prometheusTelemetry } from "../../core/adapters/prometheus/telemetry.ts";
import { instrumentStore } from "../../core/instrumented-store.ts";
import { jsonLogger } from "../../core/logger.ts";
import { MIGRATIONS } from "../../db/migrations/index.ts";
import { selectStore } from "./select-store.ts";
import { configOrExit } from "./serve.ts";

const config = configOrExit();
if (!config.KAFKA_BROKERS?.length || !config.DATABASE_URL) {
  console.error(
    "bun run indexer needs KAFKA_BROKERS (the Kafka it consumes) and DATABASE_URL (a Postgres server). " +
      "In the embedded profile, `bun run dev` writes ingested events to the store itself.",
  );
  process.exit(78);
}
const log = jsonLogger(config.LOG_LEVEL, (text) => process.stdout.write(`${text}\n`));
const sql = connectPostgres(config.DATABASE_URL, {
  max: config.DATABASE_POOL_SIZE,
  applicationName: "logflow-indexer",
});
const applied = await migrate(sql, MIGRATIONS);
if (applied.length) log({ level: "INFO", msg: "migrations applied", versions: applied });

const telemetry = prometheusTelemetry();
const registers = [telemetry.registry];
const lagGauge = new Gauge({
  name: "indexer_consumer_lag_messages",
  help: "Messages in the log topic not yet committed by the indexer's group",
  registers,
});
const batchSize = new Histogram({
  name: "indexer_batch_size_messages",
  help: "Messages per consumed batch (one partition)",
  buckets: [1, 10, 100, 500, 1_000, 2_500, 5_000, 10_000],
  registers,
});
const batchDuration = new Histogram({
  name: "indexer_batch_duration_seconds",
  help: "Time to decode, store, dead-letter and commit one batch",
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers,
});
const indexedTotal = new Counter({
  name: "indexer_events_indexed_total",
  help: "Events written to the log store by the indexer",
  registers,
});
const deadLetteredTotal = new Counter({
  name: "indexer_events_dead_lettered_total",
  help: "Messages sent to the dead-letter topic, by reason",
  labelNames: ["reason"],
  registers,
});
const retriesTotal = new Counter({
  name: "indexer_retries_total",
  help: "Failed store writes or dead-letter publishes, retried with backoff",
  labelNames: ["operation"],
  registers,
});
const restartsTotal = new Counter({
  name: "indexer_consumer_restarts_total",
  help: "Kafka consumers replaced after a crash or when found stale",
  registers,
});

const store = instrumentStore(await selectStore(config, sql), telemetry);
const indexer = await KafkaIndexer.start({
  brokers: config.KAFKA_BROKERS,
  clientId: `${config.KAFKA_CLIENT_ID}-indexer`,
  topic: config.KAFKA_TOPIC,
  groupId: config.KAFKA_GROUP_ID,
  store,
  log,
  hooks: {
    batch: ({ messages, seconds }) => {
      batchSize.observe(messages);
      batchDuration.observe(seconds);
    },
    indexed: (n) => indexedTotal.inc(n),
    deadLettered: (reason) => deadLetteredTotal.inc({ reason }),
    retry: (operation) => retriesTotal.inc({ operation }),
    restarted: () => restartsTotal.inc(),
  },
});

async function health(): Promise<Response> {
  const consumer = indexer.status();
  const database = await sql`select 1`.then(
    () => ({ status: "healthy", detail: "postgres" }),
    (err) => ({ status: "unhealthy", detail: String(err) }),
  );
  const logStore = await store.health().catch((err) => ({ status: "unhealthy", detail: String(err) }));
  const statuses = [consumer.status, database.status, logStore.status];
  const status = statuses.includes("unhealthy")
    ? "unhealthy"
    : statuses.includes("degraded")
      ? "degraded"
      : "healthy";
  return Response.json(
    {
      status,
      timestamp: new Date().toISOString(),
      role: "indexer",
      services: {
        database,
        log_store: logStore,
        consumer: { status: consumer.status, detail: consumer.detail },
      },
      consumer_lag: consumer.lag,
      consumer_restarts: consumer.restarts,
    },
    { status: status === "unhealthy" ? 503 : 200 },
  );
}

const server = Bun.serve({
  port: config.PORT,
  hostname: config.HOST,
  async fetch(req) {
    const path = new URL(req.url).pathname;
    if (path === "/health") return health();
    if (path === "/metrics") {
      const lag = indexer.status().lag;
      if (lag !== null) lagGauge.set(lag);
      const text = await telemetry.render();
      return text
        ? new Response(text.body, { headers: { "Content-Type": text.contentType } })
        : new Response("", { status: 404 });
    }
    return new Response("not found", { status: 404 });
  },
});
log({
  level: "INFO",
  msg: "indexer started",
  port: server.port,
  topic: config.KAFKA_TOPIC,
  group: config.KAFKA_GROUP_ID,
  brokers: config.KAFKA_BROKERS,
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log({ level: "INFO", msg: `${signal}: finishing the batch in hand, committing, leaving the group` });
  await indexer.stop();
  await server.stop();
  await sql.end({ timeout: 5 });
  process.exit(0);
}
process.once("SIGINT", () => void shutdown("SIGINT"));
process.once("SIGTERM", () => void shutdown("SIGTERM"));
