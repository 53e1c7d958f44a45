/**
 * `bun run indexer`: the indexer role (cluster profile). Consumes the Kafka log topic and writes to the
 * log store buildDeps chooses (Postgres at DATABASE_URL, or the search engine when configured); offsets
 * are committed only after the store write. /health reports the consumer lag; /metrics exports lag,
 * batch sizes and durations, events indexed, dead-lettered and retried. A fault (a bug, not an outage)
 * stops the indexer and exits 70, for the supervisor to restart it.
 */
import { isKafkaOutage } from "../../core/adapters/kafka/client.ts";
import { kafkaUnavailable, waitForKafka, waitForTopic } from "../../core/adapters/kafka/startup.ts";
import { migrate } from "../../core/adapters/postgres/migrate.ts";
import { oneLine } from "../../core/startup.ts";
import { MIGRATIONS } from "../../db/migrations/index.ts";
import { buildDeps } from "../build-deps.ts";
import { startKafkaIndexer } from "./kafka-indexer.ts";
import { bunPlatform, openDatabase } from "./platform.ts";
import { configOrExit } from "./serve.ts";
import { checkPort, exitOnStartupError, listenError } from "./startup.ts";

const config = configOrExit();
if (!config.KAFKA_BROKERS?.length || !config.DATABASE_URL) {
  console.error(
    "bun run indexer needs KAFKA_BROKERS (the Kafka it consumes) and DATABASE_URL (a Postgres server). " +
      "In the embedded profile, `bun run dev` writes ingested events to the store itself.",
  );
  process.exit(78);
}
/** /health and /metrics on PORT (checked free at start; taken since, it is said the same way). */
function listen(fetch: (req: Request) => Promise<Response>): ReturnType<typeof Bun.serve> {
  try {
    return Bun.serve({ port: config.PORT, hostname: config.HOST, fetch });
  } catch (err) {
    return exitOnStartupError(listenError(err, "PORT", config.HOST, config.PORT));
  }
}

const brokers = config.KAFKA_BROKERS;
const waitMs = config.STARTUP_WAIT_SECONDS * 1000;
// The port first (nothing opened yet), then each dependency, waited for STARTUP_WAIT_SECONDS.
await checkPort("PORT", config.HOST, config.PORT).catch(exitOnStartupError);
const database = await openDatabase(config, "logflow-indexer").catch(exitOnStartupError);
const platform = bunPlatform(config, database);
const { log } = platform;
const applied = await migrate(database.sql, MIGRATIONS);
if (applied.length) log({ level: "INFO", msg: "migrations applied", versions: applied });
const deps = await buildDeps(config, platform).catch(exitOnStartupError);
const telemetry = deps.telemetry;
await waitForKafka(brokers, { waitMs, log }).catch(exitOnStartupError);
// The collector creates the topic on its first start; in a stack started in any order it may come later.
await waitForTopic(brokers, config.KAFKA_TOPIC, { log }).catch(exitOnStartupError);
const indexer = await startKafkaIndexer({ ...config, KAFKA_BROKERS: brokers }, deps).catch((err: unknown) =>
  exitOnStartupError(isKafkaOutage(err) ? kafkaUnavailable(brokers, oneLine(err)) : err),
);

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

const server = listen(async (req) => {
  const path = new URL(req.url).pathname;
  if (path === "/health") return health();
  if (path === "/metrics") {
    const text = await telemetry?.render();
    return text
      ? new Response(text.body, { headers: { "Content-Type": text.contentType } })
      : new Response("", { status: 404 });
  }
  return new Response("not found", { status: 404 });
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
