/**
 * `bun run api`: the API role on its own (cluster profile): search, ingest, auth and health, with the
 * dashboard when it is built.
 */
import { configOrExit, serve } from "./serve.ts";
import { exitOnStartupError } from "./startup.ts";

const config = configOrExit();
const { runtime, server } = await serve(config).catch(exitOnStartupError);
runtime.deps.log?.({ level: "INFO", msg: "api listening", port: server.port, database: runtime.database });
