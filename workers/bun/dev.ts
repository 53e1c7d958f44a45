/**
 * `bun run dev`: the embedded profile in one process — API, ingest, dashboard and (with --demo) a
 * generator feeding realistic traffic. State lives in LOGFLOW_DATA_DIR (.data/ by default).
 */
import { DEV_ADMIN_PASSWORD } from "../../core/config.ts";
import { startAlertScheduler } from "../../stream-jobs/scheduler/scheduler.ts";
import { bunAlertEngine } from "./alert-engine.ts";
import { configOrExit, serve } from "./serve.ts";
import { checkPort, exitOnStartupError } from "./startup.ts";

const demo = process.argv.includes("--demo");
const config = configOrExit();
// A port in use is said before anything is built or created on disk.
await checkPort("PORT", config.HOST, config.PORT).catch(exitOnStartupError);
// The dashboard, built on first start (and after its sources change): a fresh clone's `bun run dev`
// serves it without a separate `bun run build`. A failed build leaves the API up with a page saying so.
{
  const { dashboardStale, buildDashboard } = await import("../../web/ensure-built.ts");
  if (dashboardStale()) {
    console.log("building the dashboard (web/ → web/dist)…");
    await buildDashboard().catch((err) =>
      console.error(`dashboard build failed; the API runs without it:\n${err}`),
    );
  }
}
const { runtime, server, syslog } = await serve(config, { syslog: true, retention: true }).catch(
  exitOnStartupError,
);
// The alert scheduler, embedded: every active rule each ALERT_EVAL_INTERVAL_SECONDS.
startAlertScheduler(bunAlertEngine(runtime, config));
// With KAFKA_BROKERS, ingest publishes to Kafka: every role in this one process, the indexer included,
// so that what is ingested reaches the store without a second process.
if (config.KAFKA_BROKERS?.length) {
  const { startKafkaIndexer } = await import("./kafka-indexer.ts");
  const indexer = await startKafkaIndexer(
    { ...config, KAFKA_BROKERS: config.KAFKA_BROKERS },
    { store: runtime.deps.store, log: runtime.built.log, patterns: runtime.built.patterns },
  );
  // A fault stopped the indexer: nothing ingested would reach the store any more, so stop loudly.
  indexer.done.catch((err: unknown) => {
    console.error(`the indexer stopped on a fault; exiting:\n${err instanceof Error ? err.stack : err}`);
    process.exit(70);
  });
}

const url = `http://localhost:${server.port}`;
const password = config.ADMIN_PASSWORD ? "(ADMIN_PASSWORD)" : DEV_ADMIN_PASSWORD;
console.log(`
  LogFlow is running at ${url}
    database   ${runtime.database}
    dashboard  ${url}/
    health     ${url}/health
    login      ${config.ADMIN_USERNAME} / ${password}${runtime.adminCreated ? "  (admin account created)" : ""}
    ingest     ${config.KAFKA_BROKERS?.length ? `through Kafka (${config.KAFKA_TOPIC} on ${config.KAFKA_BROKERS.join(",")}), indexed in this process` : "in-process queue, straight to the store"}
    syslog     ${syslog ? `TCP and UDP on ${config.HOST}:${syslog.tcpPort} (no authentication: a trusted network only)` : "off (SYSLOG_PORT to listen)"}
    alerts     rules evaluated every ${config.ALERT_EVAL_INTERVAL_SECONDS} s
    demo       ${demo || config.DEMO ? "generating traffic" : "off (bun run dev --demo to generate traffic)"}
`);

if (demo || config.DEMO) {
  const { startDemo } = await import("../../stream-jobs/generator/demo.ts");
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  process.once("SIGTERM", () => controller.abort());
  void startDemo({
    signal: controller.signal,
    onEvent: (e) =>
      runtime.deps.log?.({
        level: "INFO",
        msg:
          e.kind === "burst"
            ? `demo: error burst on ${e.service} for ${Math.round(e.durationMs / 1000)} s`
            : `demo: traffic ×${e.multiplier} for ${Math.round(e.durationMs / 1000)} s`,
      }),
    publish: (events: unknown[]) =>
      runtime.deps.collect(
        events.map((value) => ({ ok: true, value })),
        runtime.deps,
        { now: Date.now() },
      ),
  });
}
