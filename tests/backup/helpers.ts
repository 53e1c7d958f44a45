/** What the backup suites share: a LogFlow server process, its HTTP API, a writer, and the db CLI. */
import { expect } from "bun:test";
import { resolve } from "node:path";
import { freePort, type RuntimeProcess, startRuntimeProcess } from "../edge/runtime-process.ts";
import { type CliResult, dbCli as runDbCli } from "../helpers/db-cli.ts";
import { login, overHttp } from "../helpers/login.ts";

export const ROOT = resolve(import.meta.dir, "../..");
const ADMIN = { username: "admin", password: "backup-test-admin" };

/** Settings every process of these suites runs with (the server's and the CLI's). */
export const BASE_ENV = {
  ENVIRONMENT: "test",
  BCRYPT_ROUNDS: "4",
  LOG_LEVEL: "warn",
  RATE_LIMIT_ENABLED: "false",
  ADMIN_PASSWORD: ADMIN.password,
  // Whatever the test's own environment says, these suites pick their database themselves.
  DATABASE_URL: "",
};

export interface Server extends RuntimeProcess {
  token: string;
}

/** `bun workers/bun/api.ts` (what `bun run api` runs) on a free port, logged in as the admin. */
export async function startServer(env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const proc = await startRuntimeProcess("api", "bun", ["workers/bun/api.ts"], port, {
    ...BASE_ENV,
    ...env,
    PORT: String(port),
    HOST: "127.0.0.1",
  });
  return { ...proc, token: await login(overHttp(proc.base), ADMIN.username, ADMIN.password) };
}

/** Ingest `n` events whose message holds `word`; resolves with the number accepted (throws on non-2xx). */
export async function ingest(server: Server, word: string, n: number): Promise<number> {
  const events = Array.from({ length: n }, (_, i) => ({
    service: "backup-test",
    level: i % 10 === 0 ? "ERROR" : "INFO",
    message: `${word} event ${i}`,
  }));
  const res = await fetch(`${server.base}/api/v1/ingest`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${server.token}` },
    body: JSON.stringify(events),
  });
  if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { accepted: number }).accepted;
}

/** How many stored events match a search for `word`. */
export async function searchTotal(server: Server, word: string, token = server.token): Promise<number> {
  const res = await fetch(`${server.base}/api/v1/logs/search?query=${word}&limit=1`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.status !== 200) throw new Error(`search answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { total: number }).total;
}

/**
 * Ingest batches of `batch` events holding `word` until stopped: the traffic a backup must not stop.
 * `stop()` resolves with how many events were accepted and the first failure, if any.
 */
export function keepIngesting(
  server: Server,
  word: string,
  batch = 100,
): { stop(): Promise<{ accepted: number; batches: number; error?: unknown }> } {
  let running = true;
  let accepted = 0;
  let batches = 0;
  let error: unknown;
  const loop = (async () => {
    while (running) {
      try {
        accepted += await ingest(server, word, batch);
        batches++;
      } catch (err) {
        error = err;
        return;
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { accepted, batches, ...(error ? { error } : {}) };
    },
  };
}

/**
 * `bun run db:<args>` while ingest goes on (from 300 ms before the command until 300 ms after it) with
 * events holding `word`: the command's result and how many events were accepted meanwhile. Fails the
 * test when the command or the traffic failed.
 */
export async function dbCliDuringIngest(
  server: Server,
  word: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ result: CliResult; accepted: number }> {
  const writer = keepIngesting(server, word);
  await Bun.sleep(300);
  const result = await dbCli(args, env);
  await Bun.sleep(300);
  const traffic = await writer.stop();
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  expect(traffic.error).toBeUndefined();
  expect(traffic.batches).toBeGreaterThan(0);
  return { result, accepted: traffic.accepted };
}

/** `bun db/cli.ts …args` with these suites' settings (tests/helpers/db-cli.ts). */
export function dbCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return runDbCli(args, { ...BASE_ENV, ...env });
}
