/**
 * Which process applies retention (issue 18): exactly one role per profile. In the cluster profile the
 * scheduler role does and the API role does not (its replicas would each delete the same events); in the
 * embedded profile `bun run dev` does (tests/retention-rules.test.ts drives that runtime in-process).
 * Real processes against a real Postgres server.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { connectPostgres } from "../core/adapters/postgres/connect.ts";
import { PostgresLogStore } from "../core/adapters/postgres/log-store.ts";
import { migrate } from "../core/adapters/postgres/migrate.ts";
import { PostgresRetentionRuleRepo } from "../core/adapters/postgres/retention-rule-repo.ts";
import { DAY_MS } from "../core/retention/plan.ts";
import { MIGRATIONS } from "../db/migrations/index.ts";
import { freePort } from "./edge/runtime-process.ts";
import { freshPostgresDatabase, postgresReachable } from "./helpers/engines.ts";
import { logEvent } from "./helpers/events.ts";
import { roleEnv } from "./helpers/role-env.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";
import { until } from "./helpers/until.ts";

integrationTimeouts(120_000);

const ROOT = resolve(import.meta.dir, "..");
const scratch = mkdtempSync(join(tmpdir(), "logflow-retention-roles-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function spawnRole(role: "api" | "scheduler", databaseUrl: string, port: number) {
  return Bun.spawn(["bun", `workers/bun/${role}.ts`], {
    cwd: ROOT,
    env: roleEnv({
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      LOGFLOW_DATA_DIR: join(scratch, `data-${crypto.randomUUID()}`),
      ADMIN_PASSWORD: "retention-roles-password",
      BCRYPT_ROUNDS: "4",
    }),
    stdin: "ignore",
    stdout: "ignore",
    stderr: "inherit",
  });
}

describe.skipIf(!(await postgresReachable()))("retention in the cluster profile", () => {
  test("the scheduler role applies the per-service rules; the API role leaves them alone", async () => {
    const db = await freshPostgresDatabase();
    const sql = connectPostgres(db.url, { max: 2, applicationName: "logflow-test" });
    try {
      await migrate(sql, MIGRATIONS);
      const store = new PostgresLogStore(sql);
      const rules = new PostgresRetentionRuleRepo(sql);
      const now = Date.now();
      // Three days old: within RETENTION_DAYS (30), past the rule's 1 day.
      const old = now - 3 * DAY_MS;
      await store.write([
        logEvent(old, { service: "checkout-api", message: "old checkout" }),
        logEvent(old + 1, { service: "payments", message: "old payments" }),
      ]);
      await rules.put("checkout-*", 1, "admin");
      const countOf = async (service: string) =>
        (await store.search({ limit: 10, services: [service] })).total;

      // The API role, started and stopped: stopping waits for a pass in progress, so whatever the
      // API would have deleted at start is deleted by the time it exits.
      const apiPort = await freePort();
      const api = spawnRole("api", db.url, apiPort);
      await until("the API answers /health", async () => {
        const res = await fetch(`http://127.0.0.1:${apiPort}/health`).catch(() => null);
        return res?.status === 200 ? true : undefined;
      });
      api.kill("SIGTERM");
      expect(await api.exited).toBe(0);
      expect(await countOf("checkout-api")).toBe(1);
      expect((await rules.list())[0]?.last_run ?? null).toBeNull();

      // The scheduler role: its first pass runs at start.
      const scheduler = spawnRole("scheduler", db.url, await freePort());
      try {
        await until("the scheduler's pass deleted the rule's events", async () =>
          (await countOf("checkout-api")) === 0 ? true : undefined,
        );
        expect(await countOf("payments")).toBe(1);
        await until("the pass is recorded with the rule", async () =>
          (await rules.list())[0]?.last_run ? true : undefined,
        );
      } finally {
        scheduler.kill("SIGTERM");
        await scheduler.exited;
      }
    } finally {
      await sql.end({ timeout: 5 });
      await db.drop();
    }
  });
});
