/**
 * `bun run collector`: the collector role (cluster profile). Serves the ingest endpoints of the API,
 * which publish to Kafka (KAFKA_BROKERS) and answer 2xx only once Kafka acked, 503 + Retry-After when
 * the producer cannot keep up (every shipper protocol too, and syslog on SYSLOG_PORT); plus /health
 * (with the producer's state) and /metrics. `bun run indexer`
 * moves the events from Kafka into the store.
 */
import { configOrExit, serve } from "./serve.ts";
import { exitOnStartupError } from "./startup.ts";

const config = configOrExit();
if (!config.KAFKA_BROKERS?.length || !config.DATABASE_URL) {
  console.error(
    "bun run collector needs KAFKA_BROKERS (the Kafka it publishes to) and DATABASE_URL (users and API keys " +
      "that ingest authenticates against). The embedded profile ingests inside `bun run dev`.",
  );
  process.exit(78);
}
const { runtime, server, syslog } = await serve(config, {
  assets: false,
  syslog: true,
  retention: false,
}).catch(exitOnStartupError);
runtime.deps.log?.({
  level: "INFO",
  msg: "collector listening",
  port: server.port,
  topic: config.KAFKA_TOPIC,
  brokers: config.KAFKA_BROKERS,
  syslog_port: syslog?.tcpPort ?? null,
});
