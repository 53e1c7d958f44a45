/**
 * `bun run api`: the API role on its own (cluster profile): search, ingest, auth and health, with the
 * dashboard when it is built. Without Kafka it ingests itself, and so serves syslog (SYSLOG_PORT) too;
 * with Kafka that is the collector role's.
 */
import { configOrExit, serve } from "./serve.ts";
import { exitOnStartupError } from "./startup.ts";

const config = configOrExit();
// Retention is the scheduler role's (bun run scheduler), not the API's: see RuntimeOptions.retention.
const { runtime, server } = await serve(config, {
  syslog: !config.KAFKA_BROKERS?.length,
  retention: false,
}).catch(exitOnStartupError);
runtime.deps.log?.({ level: "INFO", msg: "api listening", port: server.port, database: runtime.database });
