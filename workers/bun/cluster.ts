/**
 * `bun run cluster [--env-file FILE] [--grace SECONDS] [--yes]`: every role of the cluster profile (api,
 * collector, indexer, scheduler) as supervised child processes of this one, configured by one env file.
 *
 * Each role runs as its package.json script says (`bun run api` …), with the env file's variables over
 * this process's environment, and its own port: the API on PORT (8000), the collector on COLLECTOR_PORT
 * (PORT + 1), the indexer's /health and /metrics on INDEXER_PORT (PORT + 2). Output lines are prefixed
 * with the role's name. A role that exits is started again, after 1 s, doubling with each quick failure
 * up to 30 s; exit code 78 (a configuration error) stops everything instead. Ctrl-C or SIGTERM stops the
 * roles (SIGTERM, then SIGKILL after --grace seconds, 10 by default); a second Ctrl-C kills them at once.
 */
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../../core/config.ts";
import { parseEnvFile } from "./env-file.ts";
import { type RoleSpec, scriptCommand, supervise } from "./supervisor.ts";

const ROOT = resolve(import.meta.dir, "../..");
const ROLES = ["api", "collector", "indexer", "scheduler"] as const;
type Role = (typeof ROLES)[number];

function exit(message: string, code = 78): never {
  console.error(`cluster: ${message}`);
  process.exit(code);
}

/** Whether `port` can be listened on at `host` right now. */
function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once("error", () => resolvePort(false));
    server.listen(port, host, () => server.close(() => resolvePort(true)));
  });
}

const { values: args } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    "env-file": { type: "string" },
    grace: { type: "string", default: "10" },
    // Passed on to every role: confirms deleting what a lowered RETENTION_DAYS drops.
    yes: { type: "boolean", default: false },
  },
  strict: true,
});
const grace = Number(args.grace);
if (!Number.isFinite(grace) || grace < 0) exit(`--grace takes seconds, not ${JSON.stringify(args.grace)}`, 2);

// The env file wins over this process's environment: Bun loads a `.env` it finds in the current folder
// into the environment by itself, and that must not override the file the cluster was started with.
let fileVars: Record<string, string> = {};
const envFile = args["env-file"];
if (envFile) {
  if (!existsSync(envFile)) exit(`--env-file ${envFile}: no such file`);
  try {
    fileVars = parseEnvFile(readFileSync(envFile, "utf8"), envFile);
  } catch (err) {
    exit(err instanceof Error ? err.message : String(err));
  }
}
const env: Record<string, string | undefined> = {
  ...process.env,
  ...fileVars,
  ...(args.yes ? { RETENTION_CONFIRM: "true" } : {}),
};
const from = envFile ? `in ${envFile} or the environment` : "in the environment (or pass --env-file FILE)";

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(env);
} catch (err) {
  if (err instanceof ConfigError) exit(`${err.message}\n(set ${from})`);
  throw err;
}
if (!config.DATABASE_URL || !config.KAFKA_BROKERS?.length) {
  exit(
    `the cluster needs DATABASE_URL (Postgres) and KAFKA_BROKERS (Kafka) ${from}; ` +
      "without them, `bun run dev` runs every role in one process",
  );
}

function port(name: string, fallback: number): number {
  const raw = env[name];
  const value = raw ? Number(raw) : fallback;
  if (!Number.isInteger(value) || value < 1 || value > 65_535)
    exit(`${name}: not a port: ${JSON.stringify(raw)}`);
  return value;
}
const ports: Partial<Record<Role, { name: string; port: number }>> = {
  api: { name: "PORT", port: config.PORT },
  collector: { name: "COLLECTOR_PORT", port: port("COLLECTOR_PORT", config.PORT + 1) },
  indexer: { name: "INDEXER_PORT", port: port("INDEXER_PORT", config.PORT + 2) },
};
const taken = new Map<number, string>();
for (const [role, p] of Object.entries(ports)) {
  const other = taken.get(p.port);
  if (other) exit(`${p.name} and ${other} are both ${p.port}: each role needs a port of its own`);
  taken.set(p.port, p.name);
  if (!(await portFree(p.port, config.HOST))) {
    exit(
      `port ${p.port} (${p.name}, the ${role}'s) is in use: stop what holds it or set ${p.name} ${from}`,
      69,
    );
  }
}

const scripts = (
  JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }
).scripts;
const roles: RoleSpec[] = ROLES.map((role) => {
  const { cmd, env: scriptEnv } = scriptCommand(
    scripts[role] ?? exit(`package.json has no "${role}" script`),
  );
  const p = ports[role];
  return { name: role, cmd, env: { ...env, ...scriptEnv, ...(p ? { PORT: String(p.port) } : {}) } };
});

const color = process.stdout.isTTY && !env.NO_COLOR;
const COLORS: Record<string, number> = { cluster: 1, api: 36, collector: 32, indexer: 35, scheduler: 33 };
const width = Math.max(...[...ROLES, "cluster"].map((r) => r.length));
const prefix = (name: string) => {
  const label = `${name.padEnd(width)} |`;
  return color ? `\x1b[${COLORS[name] ?? 0}m${label}\x1b[0m` : label;
};
const supervisor = supervise(roles, {
  graceMs: grace * 1000,
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  stableMs: 30_000,
  log: (line) => console.log(`${prefix("cluster")} ${line}`),
  output: (role, line, stream) =>
    (stream === "stderr" ? console.error : console.log)(`${prefix(role)} ${line}`),
});
console.log(
  `${prefix("cluster")} api http://${config.HOST}:${ports.api?.port} · collector :${ports.collector?.port} · ` +
    `indexer :${ports.indexer?.port} (health, metrics) · scheduler · Kafka ${config.KAFKA_BROKERS.join(",")} topic ${config.KAFKA_TOPIC}`,
);

let signals = 0;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    if (++signals > 1) {
      console.log(`${prefix("cluster")} ${signal} again: killing every role now`);
      supervisor.kill();
      return;
    }
    void supervisor.stop(signal);
  });
}
process.exit(await supervisor.done);
