import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../core/config.ts";
import { createApp } from "../../edge-api/app.ts";
import { DevelopmentPasswordError } from "../../edge-api/auth/start-accounts.ts";
import { startRuntime } from "../../workers/bun/runtime.ts";
import { freshPostgresDatabase, postgresReachable } from "../helpers/engines.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

const dirs: string[] = [];
const drops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  for (const drop of drops) await drop();
});

/** Where an install keeps its data across starts: an embedded data directory, or a Postgres database. */
async function installDatabase(): Promise<Record<string, string>> {
  if (process.env.LOGFLOW_TEST_DB === "postgres" && (await postgresReachable())) {
    const db = await freshPostgresDatabase();
    drops.push(db.drop);
    return { DATABASE_URL: db.url };
  }
  const dir = mkdtempSync(join(tmpdir(), "logflow-prodstart-"));
  dirs.push(dir);
  return { LOGFLOW_DATA_DIR: dir };
}

const BASE = { BCRYPT_ROUNDS: "4", LOG_LEVEL: "error", RATE_LIMIT_ENABLED: "false" };
const PRODUCTION = { ENVIRONMENT: "production", SECRET_KEY: "q".repeat(40) };

describe("an install first run in development, then started in production", () => {
  test("ADMIN_PASSWORD replaces admin123 at start, and the development password no longer logs in", async () => {
    const db = await installDatabase();
    const dev = await startRuntime(loadConfig({ ...BASE, ...db }), { retention: true });
    expect(dev.adminCreated).toBe(true);
    await dev.close();

    const env = { ...BASE, ...db, ...PRODUCTION, ADMIN_PASSWORD: "correct-horse-battery-7" };
    const runtime = await startRuntime(loadConfig(env), { retention: true });
    try {
      const app = createApp(runtime.deps);
      const login = (password: string) =>
        app.request("/api/v1/auth/login", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ username: "admin", password }),
        });
      expect((await login("admin123")).status).toBe(401);
      expect((await login("correct-horse-battery-7")).status).toBe(200);
    } finally {
      await runtime.close();
    }
  }, 120_000);

  test("another account still on admin123 stops the start with a message saying how to fix it", async () => {
    const db = await installDatabase();
    const dev = await startRuntime(loadConfig({ ...BASE, ...db }), { retention: true });
    try {
      const res = await createApp(dev.deps).request("/api/v1/auth/register", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "bob", email: "bob@example.com", password: "admin123" }),
      });
      expect(res.status).toBe(201);
    } finally {
      await dev.close();
    }
    const env = { ...BASE, ...db, ...PRODUCTION, ADMIN_PASSWORD: "correct-horse-battery-7" };
    let error: unknown;
    try {
      const runtime = await startRuntime(loadConfig(env), { retention: true });
      await runtime.close();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DevelopmentPasswordError);
    const message = (error as Error).message;
    expect(message).toContain('"bob"');
    expect(message).not.toContain('"admin"'); // its password was just set from ADMIN_PASSWORD
    expect(message).toContain("PUT /api/v1/auth/me");
  }, 120_000);
});
