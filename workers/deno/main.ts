/**
 * Deno entry: the same API module as Bun and Workers, served by Deno.serve.
 *
 *   deno run -A workers/deno/main.ts        (or node_modules/.bin/deno, from the `deno` npm package)
 *
 * Packages resolve from the repo's node_modules through package.json (no import map, nothing fetched).
 * Configuration comes from the environment (PORT, HOST, SECRET_KEY, DATABASE_URL, ...). Unlike on
 * Workers, the process lives on, so one postgres.js pool serves every request. API only: the dashboard
 * is served by Bun or by Workers Assets.
 */
import { ConfigError } from "../../core/config.ts";
import { createApp } from "../../edge-api/app.ts";
import { buildEdgeDeps, type EdgeDeps } from "../edge-deps.ts";

// The few Deno APIs used here, declared locally so that tsc (with Bun's types) checks this file too.
declare const Deno: {
  env: { toObject(): Record<string, string> };
  serve(
    options: {
      port: number;
      hostname: string;
      onListen?: (addr: { hostname: string; port: number }) => void;
    },
    handler: (request: Request) => Response | Promise<Response>,
  ): { finished: Promise<void>; shutdown(): Promise<void> };
  addSignalListener(signal: "SIGINT" | "SIGTERM", handler: () => void): void;
  exit(code: number): never;
};

let built: EdgeDeps;
try {
  built = await buildEdgeDeps(Deno.env.toObject());
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    Deno.exit(78); // EX_CONFIG, as on Bun
  }
  throw err;
}

const { deps, config } = built;
const app = createApp(deps);
const server = Deno.serve(
  {
    port: config.PORT,
    hostname: config.HOST,
    onListen: ({ hostname, port }) =>
      deps.log?.({
        level: "INFO",
        msg: "api listening",
        runtime: "deno",
        hostname,
        port,
        database: built.database,
      }),
  },
  app.fetch,
);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => {
    if (stopping) return;
    stopping = true;
    deps.log?.({ level: "INFO", msg: `${signal}: finishing requests, then stopping` });
    // Open tails would hold the shutdown for ever: end them first (their clients resume later).
    deps.tail?.slots.endAll();
    server
      .shutdown()
      .then(() => built.close())
      .then(
        () => Deno.exit(0),
        (err) => {
          console.error(err);
          Deno.exit(1);
        },
      );
  });
}
