/**
 * The edge runtimes' platform (Cloudflare Workers, Deno): dependencies from a plain env record through
 * buildDeps. Imports nothing that needs a file system, PGlite or Bun: the worker bundle must stay
 * runtime-neutral. Migrations and the default admin are not done here; they run from Bun (`bun run
 * db:migrate`) against the same database.
 */
import { DirectLogQueue } from "../core/adapters/memory/direct-queue.ts";
import { connectPostgres } from "../core/adapters/postgres/connect.ts";
import { lazySql } from "../core/adapters/postgres/lazy.ts";
import { fetchEngine } from "../core/adapters/search/fetch.ts";
import { type Config, ConfigError, loadConfig } from "../core/config.ts";
import { jsonLogger } from "../core/logger.ts";
import type { AppDeps } from "../edge-api/context.ts";
import { type ApiDeps, buildDeps, type Database } from "./build-deps.ts";
import { DATABASE_URL_MISSING } from "./unconfigured.ts";

export { DATABASE_URL_MISSING } from "./unconfigured.ts";

/**
 * Whether this isolate already installed the search engine's index template. A boolean, not the
 * request's promise: Workers must not await I/O begun by another request.
 */
const searchTemplate = { installed: false };

export interface EdgeDeps {
  deps: AppDeps;
  config: Config;
  /** "postgres" when DATABASE_URL is set, else "unconfigured" (the API answers 503 where it needs data). */
  database: "postgres" | "unconfigured";
  /** Everything built, for the scheduled handler (its alert tick claims ticks in the database). */
  built: ApiDeps;
  /** Close the database client (waits up to 5 s for running queries). Safe to call more than once. */
  close(): Promise<void>;
}

export interface EdgeOptions {
  /**
   * postgres.js pool size. Defaults to DATABASE_POOL_SIZE. On Workers keep it at 5 or below: one
   * invocation may hold at most 6 open outbound connections.
   */
  poolSize?: number;
  /** Shown as the database check's detail in /health (never the URL: it holds the password). */
  databaseLabel?: string;
  assets?: AppDeps["assets"];
}

/**
 * Keep only the string entries of a runtime's env. A Workers env also holds bindings (objects), which
 * are not configuration and would only confuse the config parser.
 */
export function stringVars(env: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === "string") out[k] = v;
  return out;
}

/**
 * Build the API's dependencies for one edge process (Deno) or one request (Workers, where a socket
 * opened in one request cannot be used by another). Throws ConfigError for a bad or missing variable,
 * SECRET_KEY included: an edge runtime has nowhere to keep a generated key, and isolates that each made
 * their own would reject each other's tokens.
 *
 * postgres.js opens connections lazily, so a request that never touches the database costs no
 * connection; nothing here does I/O.
 */
export async function buildEdgeDeps(env: Record<string, unknown>, opts: EdgeOptions = {}): Promise<EdgeDeps> {
  const config = loadConfig(stringVars(env), { createsAdmin: false });
  if (!config.SECRET_KEY) {
    throw new ConfigError([
      "SECRET_KEY: is required on edge runtimes (Workers: `wrangler secret put SECRET_KEY`; e.g. openssl rand -hex 32)",
    ]);
  }
  let database: Database | undefined;
  if (config.DATABASE_URL) {
    const url = config.DATABASE_URL;
    // Made when a query first needs it: a request that reads no data pays for no client.
    const sql = lazySql(() =>
      connectPostgres(url, {
        max: opts.poolSize ?? config.DATABASE_POOL_SIZE,
        applicationName: "logflow-edge",
      }),
    );
    database = {
      sql,
      label: opts.databaseLabel ?? "postgres",
      // No COPY on the edge: Hyperdrive, between a Worker and Postgres, does not document COPY FROM
      // STDIN, and its writes are single requests' batches; the insert statements are plain queries.
      storeOptions: { copyFromRows: Number.POSITIVE_INFINITY },
      close: () => sql.end({ timeout: 5 }),
    };
  }
  const built = await buildDeps(
    config,
    {
      log: jsonLogger(config.LOG_LEVEL, (text) => console.log(text)),
      database,
      missingDatabase: DATABASE_URL_MISSING,
      // Over plain fetch: the official clients do not load in workerd.
      searchEngine: (c) => fetchEngine(c),
      searchTemplate,
      // Rate limits and the cache need a store shared by every isolate: only with Upstash.
      inProcessLimits: false,
    },
    {
      secretKey: config.SECRET_KEY,
      // Nothing outlives the request that would gather events across requests: one write per request.
      queue: (store) => new DirectLogQueue(store),
      ...(opts.assets ? { assets: opts.assets } : {}),
    },
  );
  return {
    deps: built.app,
    config,
    database: database ? "postgres" : "unconfigured",
    built,
    close: built.close,
  };
}
