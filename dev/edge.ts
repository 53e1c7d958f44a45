/**
 * `bun run dev:edge [wrangler dev flags…]`: the Worker in local workerd through `wrangler dev` (run by
 * Node: wrangler does not run under Bun), set up for development:
 *
 * - ENVIRONMENT=development, and the signing key this checkout's `bun run dev` keeps in
 *   LOGFLOW_DATA_DIR, unless SECRET_KEY is set: wrangler.toml's [vars] are for deploying (production,
 *   which refuses to start without SECRET_KEY), so a fresh clone answered 500 to every call.
 * - LogFlow's variables set in the environment (or in `.env`, which Bun loads) reach the Worker, so that
 *   `DATABASE_URL=… bun run dev:edge` works as `DATABASE_URL=… bun run dev` does; PORT and HOST become
 *   wrangler's --port and --ip.
 * - `.dev.vars`, when present, overrides all of these.
 * - The dashboard is built first when web/dist is missing or stale (Workers Assets serves it).
 *
 * The values reach wrangler in a file only this user can read (`.wrangler/logflow-dev.vars`), not as
 * `--var` arguments that every local user can read in the process list.
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { localSecretKey } from "../core/adapters/local/secret-key.ts";
import { ConfigSchema } from "../core/config.ts";
import { dashboardStale } from "../web/ensure-built.ts";
import { runInPlace } from "./child.ts";

const ROOT = resolve(import.meta.dir, "..");

/** One dotenv line, quoted so that wrangler's dotenv parser reads the value back unchanged. */
export function dotenvLine(name: string, value: string): string {
  const quote = [`'`, `"`, "`"].find((q) => !value.includes(q));
  if (!quote || /[\r\n]/.test(value))
    throw new Error(`${name}: a value with line breaks or all three quote marks`);
  return `${name}=${quote}${value}${quote}`;
}

/**
 * The Worker's variables for wrangler dev: LogFlow's variables from `env`, and the development defaults
 * for ENVIRONMENT and SECRET_KEY when `env` does not set them (`secret` is called only then).
 */
export function devVars(
  env: Record<string, string | undefined>,
  secret: () => string,
): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const name of Object.keys(ConfigSchema.shape)) {
    const value = env[name];
    if (value && name !== "PORT" && name !== "HOST") vars[name] = value;
  }
  vars.ENVIRONMENT ??= "development";
  vars.SECRET_KEY ??= secret();
  return vars;
}

if (import.meta.main) {
  if (dashboardStale()) {
    console.log("building the dashboard (web/ → web/dist)…");
    const build = Bun.spawnSync(["bun", "web/build.ts"], {
      cwd: ROOT,
      stdio: ["inherit", "inherit", "inherit"],
    });
    if (build.exitCode !== 0) process.exit(build.exitCode ?? 1);
  }
  const dataDir = process.env.LOGFLOW_DATA_DIR || ".data";
  const vars = devVars(process.env, () => localSecretKey(resolve(ROOT, dataDir)));
  const varsFile = resolve(ROOT, ".wrangler/logflow-dev.vars");
  mkdirSync(dirname(varsFile), { recursive: true });
  const lines = Object.entries(vars).map(([name, value]) => dotenvLine(name, value));
  writeFileSync(varsFile, `${lines.join("\n")}\n`, { mode: 0o600 });
  chmodSync(varsFile, 0o600);

  const args = [resolve(ROOT, "node_modules/wrangler/bin/wrangler.js"), "dev", "--env-file", varsFile];
  // A later --env-file overrides an earlier one; given --env-file, wrangler reads .dev.vars only if named.
  const devVarsFile = resolve(ROOT, ".dev.vars");
  if (existsSync(devVarsFile)) args.push("--env-file", devVarsFile);
  if (process.env.PORT) args.push("--port", process.env.PORT);
  if (process.env.HOST) args.push("--ip", process.env.HOST);
  args.push(...process.argv.slice(2));

  if (!process.env.SECRET_KEY) {
    console.log(`SECRET_KEY not set: using the development key kept in ${dataDir}/secret.key`);
  }
  if (!vars.DATABASE_URL) {
    console.log(
      "No DATABASE_URL: /health and every data route answer 503 saying so (unless .dev.vars sets it). With a Postgres:\n" +
        "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/logflow bun run db:migrate\n" +
        "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/logflow bun run dev:edge",
    );
  }
  await runInPlace(["node", ...args], { cwd: ROOT });
}
