/**
 * `bun run api`: the API role on its own (cluster profile): search, ingest, auth and health, with the
 * dashboard when it is built.
 */
import { configOrExit, serve } from "./serve.ts";

const config = configOrExit();
const { runtime, server } = await serve(config);
runtime.deps.log?.({ level: "INFO", msg: "api listening", port: server.port, database: runtime.database });
