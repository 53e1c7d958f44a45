/**
 * `bun run indexer`: the indexer role (cluster profile). Consumes the Kafka log topic and writes to the
 * log store chosen by selectStore (Postgres at DATABASE_URL, or the search engine when configured);
 * offsets are committed only after the store write. /health reports the consumer lag; /metrics exports
 * lag, batch sizes and durations, events indexed and dead-lettered.
 */
import { kafkaLogConsumer } from "../../core/adapters/kafka/consumer.ts";
import { connectPostgres } from "../../core/adapters/postgres/connect.ts";
import { migrate } from "../../core/adapters/postgres/migrate.ts";
import { prometheusTelemetry } from "../../core/adapters/prometheus/telemetry.ts";
import { instrumentStore } from "../../core/instrumented-store.ts";
import { jsonLogger } from "../../core/logger.ts";
import { MIGRATIONS } from "../../db/migrations/index.ts";
import { startIndexer } from "../../stream-jobs/indexer/indexer.ts";
import { isEngineOutage } from "../outage.ts";
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
const store = instrumentStore(await selectStore(config, sql), telemetry);
const indexer = await startIndexer({
  consumer: kafkaLogConsumer({
    brokers: config.KAFKA_BROKERS,
    clientId: `${config.KAFKA_CLIENT_ID}-indexer`,
    topic: config.KAFKA_TOPIC,
    groupId: config.KAFKA_GROUP_ID,
    log,
    telemetry,
  }),
  store,
  isOutage: isEngineOutage,
  telemetry,
  log,
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
// A fault (a bug, not an outage) stopped the indexer: exit non-zero for the supervisor to restart it.
indexer.done.catch(async (err: unknown) => {
  log({ level: "CRITICAL", msg: "indexer stopped by a fault; exiting", error: String(err) });
  await server.stop();
  await sql.end({ timeout: 5 });
  process.exit(70); // EX_SOFTWARE
});
process.once("SIGINT", () => void shutdown("SIGINT"));
process.once("SIGTERM", () => void shutdown("SIGTERM"));
