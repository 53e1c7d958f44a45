/**
 * Smoke test: the API module boots in Deno (the `deno` npm package) from workers/deno/main.ts, with
 * packages resolved from the repo's node_modules, and answers over a real socket.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { postgresReachable } from "../helpers/engines.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";
import {
  describeWithoutDatabase,
  describeWithPostgres,
  EDGE_TIMEOUT_MS,
  edgeSuitesEnabled,
  freePort,
  groupAlive,
  type RuntimeProcess,
  requireBinary,
  startRuntimeProcess,
  TEST_SECRET,
} from "./runtime-process.ts";

integrationTimeouts();

const enabled = edgeSuitesEnabled("Deno");
const withPostgres = enabled && (await postgresReachable());

async function startDeno(env: Record<string, string>): Promise<RuntimeProcess> {
  const deno = requireBinary("node_modules/.bin/deno", "deno (npm package `deno`)");
  const port = await freePort();
  return startRuntimeProcess("deno", deno, ["run", "-A", "workers/deno/main.ts"], port, {
    ...env,
    PORT: String(port),
    HOST: "127.0.0.1",
    DENO_NO_UPDATE_CHECK: "1",
    NO_COLOR: "1",
  });
}

const base = { SECRET_KEY: TEST_SECRET, ENVIRONMENT: "test", LOG_LEVEL: "warn", BCRYPT_ROUNDS: "4" };

describeWithoutDatabase("Deno", enabled, startDeno, base);

describe.skipIf(!enabled)("Deno: misconfigured", () => {
  test(
    "without SECRET_KEY the process exits 78 naming the variable",
    async () => {
      const deno = requireBinary("node_modules/.bin/deno", "deno (npm package `deno`)");
      const proc = Bun.spawn([deno, "run", "-A", "workers/deno/main.ts"], {
        cwd: `${import.meta.dir}/../..`,
        env: {
          ...process.env,
          SECRET_KEY: "",
          DATABASE_URL: "",
          ENVIRONMENT: "test",
          PORT: "0",
          NO_COLOR: "1",
        },
        stdout: "pipe",
        stderr: "pipe",
      });
      const code = await proc.exited;
      expect(code).toBe(78);
      expect(await new Response(proc.stderr).text()).toContain("SECRET_KEY");
    },
    EDGE_TIMEOUT_MS,
  );
});

describeWithPostgres("Deno", withPostgres, startDeno, base);

// `bun run dev:deno` as a person runs it on a fresh clone (no SECRET_KEY: it signs with the development
// key it keeps in LOGFLOW_DATA_DIR). A signal sent to that one process (a supervisor's SIGTERM, or
// `kill PID`) must stop Deno too, not only a Ctrl-C that the terminal sends to the whole group.
describe.skipIf(!enabled)("bun run dev:deno", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "logflow-dev-deno-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    test(
      `${signal} to the bun run process stops Deno and leaves no process behind`,
      async () => {
        requireBinary("node_modules/.bin/deno", "deno (npm package `deno`)");
        const port = await freePort();
        const server = await startRuntimeProcess("bun run dev:deno", "bun", ["run", "dev:deno"], port, {
          SECRET_KEY: "",
          ENVIRONMENT: "",
          LOGFLOW_DATA_DIR: dataDir,
          DATABASE_URL: "",
          LOG_LEVEL: "warn",
          PORT: String(port),
          HOST: "127.0.0.1",
          NO_COLOR: "1",
        });
        try {
          expect(statSync(join(dataDir, "secret.key")).mode & 0o777).toBe(0o600);
          process.kill(server.pid, signal);
          expect(await server.exitsWithin(20_000)).toBe(true);
          // The group is the process tree bun run started: Deno in it would still be serving.
          const deadline = Date.now() + 10_000;
          while (groupAlive(server.pid) && Date.now() < deadline) await Bun.sleep(100);
          expect(groupAlive(server.pid)).toBe(false);
          expect(
            await fetch(`${server.base}/health`).then(
              () => "answered",
              () => "closed",
            ),
          ).toBe("closed");
        } finally {
          await server.stop();
        }
      },
      EDGE_TIMEOUT_MS,
    );
  }
});
