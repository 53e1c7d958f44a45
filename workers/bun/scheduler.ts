/**
 * `bun run scheduler`: the alert scheduler on its own (cluster profile). Evaluates every active rule each
 * ALERT_EVAL_INTERVAL_SECONDS; run as many as you like, each tick is evaluated by one of them. It also
 * runs the hourly retention pass (RETENTION_DAYS and the per-service rules), which the API role leaves to it.
 * In the embedded profile the scheduler runs inside `bun run dev` instead (PGlite has one owner).
 */
import { startAlertScheduler } from "../../stream-jobs/scheduler/scheduler.ts";
import { bunAlertEngine } from "./alert-engine.ts";
import { startRuntime } from "./runtime.ts";
import { configOrExit } from "./serve.ts";
import { exitOnStartupError } from "./startup.ts";

const config = configOrExit();
if (!config.DATABASE_URL) {
  console.error(
    "bun run scheduler needs DATABASE_URL (a Postgres server). In the embedded profile the scheduler already runs inside `bun run dev`.",
  );
  process.exit(78);
}
// The cluster profile's one role that applies retention (RETENTION_DAYS and the per-service rules).
const runtime = await startRuntime(config, { retention: true }).catch(exitOnStartupError);
const engine = bunAlertEngine(runtime, config);
const scheduler = startAlertScheduler(engine);
runtime.deps.log?.({
  level: "INFO",
  msg: "alert scheduler started",
  interval_seconds: config.ALERT_EVAL_INTERVAL_SECONDS,
  owner: engine.owner,
});

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  await scheduler.stop();
  await runtime.close();
  process.exit(0);
}
process.once("SIGINT", shutdown);
process.once("SIGTERM", shutdown);
