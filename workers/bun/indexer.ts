/**
 * `bun run indexer`: the indexer role (cluster profile). Consumes the Kafka log topic and writes to the
 * log store buildDeps chooses (Postgres at DATABASE_URL, or the search engine when configured); offsets
 * are committed only after the store write. /health reports the consumer lag; /metrics exports lag,
 * batch sizes and durations, events indexed, dead-lettered and retried. A fault (a bug, not an outage)
 * stops the indexer and exits 70, for the supervisor to restart it.
 */
import { migrate } from "../../core/adapters/postgres/migrate.ts";
import { MIGRATIONS } from "../../db/migrations/index.ts";
import { buildDeps } from "../build-deps.ts";
import { startKafkaIndexer } from "./kafka-indexer.ts";
import { bunPlatform, openDatabase } from "./platform.ts";
import { configOrExit } from "./serve.ts";

const config = configOrExit();
if (!config.KAFKA_BROKERS?.length || !config.DATABASE_URL) {
  console.error(
    "bun run indexer needs KAFKA_BROKERS (the Kafka it consumes) and DATABASE_URL (a Postgres server). " +
      "In the embedded profile, `bun run dev` writes ingested events to the store itself.",
  );
  process.exit(78);
}
const database = await openDatabase(config, "logflow-indexer");
const platform = bunPlatform(config, database);
const { log } = platform;
const applied = await migrate(database.sql, MIGRATIONS);
if (applied.length) log({ level: "INFO", msg: "migrations applied", versions: applied });
const deps = await buildDeps(config, platform);
const telemetry = deps.telemetry;
const indexer = await startKafkaIndexer({ ...config, KAFKA_BROKERS: config.KAFKA_BROKERS }, deps);

/** The database and log store checks, and the consumer's state, in one answer. */
async function health(): Promise<Response> {
  const consumer = indexer.status();
  const services: Record<string, { status: string; detail: string }> = {};
  for (const check of deps.health) {
    services[check.name] = await check
      .check()
      .catch((err: unknown) => ({ status: "unhealthy", detail: String(err) }));
  }
  services.consumer = { status: consumer.status, detail: consumer.detail };
  const statuses = Object.values(services).map((s) => s.status);
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
      services,
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
      const text = await telemetry?.render();
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
  await deps.close();
  process.exit(0);
}
// A fault (a bug, not an outage) stopped the indexer: exit non-zero for the supervisor to restart it.
indexer.done.catch(async (err: unknown) => {
  log({ level: "CRITICAL", msg: "indexer stopped by a fault; exiting", error: String(err) });
  await server.stop();
  await deps.close();
  process.exit(70); // EX_SOFTWARE
});
process.once("SIGINT", () => void shutdown("SIGINT"));
process.once("SIGTERM", () => void shutdown("SIGTERM"));
