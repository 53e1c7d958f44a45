import { type Config, ConfigError, loadConfig } from "../../core/config.ts";
import { createApp } from "../../edge-api/app.ts";
import { staticAssets } from "./assets.ts";
import { compressed } from "./compress.ts";
import { type Runtime, startRuntime } from "./runtime.ts";
import { checkPort, listenError } from "./startup.ts";
import { type SyslogListener, startSyslogListener } from "./syslog-listener.ts";

/**
 * Parse the config or exit with the reason, naming each bad variable. `--yes` on the command line
 * confirms what start-up otherwise only announces (RETENTION_CONFIRM: deleting what a lowered
 * RETENTION_DAYS drops).
 */
export function configOrExit(
  env: Record<string, string | undefined> = process.env,
  argv: string[] = process.argv,
): Config {
  try {
    return loadConfig(argv.includes("--yes") ? { ...env, RETENTION_CONFIRM: "true" } : env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}

export interface Served {
  runtime: Runtime;
  server: ReturnType<typeof Bun.serve>;
  /** The syslog listener, when asked for and SYSLOG_PORT is set. */
  syslog?: SyslogListener;
  stop(): Promise<void>;
}

/**
 * Start the runtime and serve the API (and the dashboard, when built) on config.PORT; with `syslog`
 * (the embedded profile and the collector role), the syslog listener on SYSLOG_PORT when it is set; with
 * `retention`, the hourly retention pass (RuntimeOptions.retention says which role runs it).
 * Rejects with StartupError (one line, an exit code) for a port in use or a dependency refused or away.
 */
export async function serve(
  config: Config,
  opts: { assets?: boolean; syslog?: boolean; retention: boolean },
): Promise<Served> {
  const syslogPort = opts.syslog ? config.SYSLOG_PORT : undefined;
  // Before anything is opened or created on disk (the embedded database, the signing key).
  await checkPort("PORT", config.HOST, config.PORT);
  if (syslogPort !== undefined) await checkPort("SYSLOG_PORT", config.HOST, syslogPort);
  const runtime = await startRuntime(config, { retention: opts.retention });
  if (opts.assets !== false) runtime.deps.assets = staticAssets();
  const app = createApp(runtime.deps);
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({
      port: config.PORT,
      hostname: config.HOST,
      fetch: compressed(app.fetch),
      // Ingest bodies are limited by the app (INGEST_MAX_BODY_BYTES); leave Bun's cap just above it.
      maxRequestBodySize: config.INGEST_MAX_BODY_BYTES + 1024 * 1024,
      idleTimeout: 60,
    });
  } catch (err) {
    // Taken since the check: say so the same way.
    await runtime.close();
    throw listenError(err, "PORT", config.HOST, config.PORT);
  }
  let syslog: SyslogListener | undefined;
  if (syslogPort !== undefined) {
    try {
      syslog = await startSyslogListener(runtime.deps, { port: syslogPort, hostname: config.HOST });
    } catch (err) {
      await server.stop();
      await runtime.close();
      throw listenError(err, "SYSLOG_PORT", config.HOST, syslogPort);
    }
  }
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      // Open tails would hold the server open for ever: end them first (their clients resume later).
      runtime.deps.tail?.slots.endAll();
      await syslog?.stop();
      await server.stop();
      await runtime.close();
    })();
    return stopping;
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      runtime.deps.log?.({ level: "INFO", msg: `${signal}: finishing accepted writes, then stopping` });
      stop().then(
        () => process.exit(0),
        (err) => {
          console.error(err);
          process.exit(1);
        },
      );
    });
  }
  return { runtime, server, stop, ...(syslog ? { syslog } : {}) };
}
