import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../core/config.ts";
import { createApp } from "../../edge-api/app.ts";
import { startRuntime } from "../../workers/bun/runtime.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

const dir = mkdtempSync(join(tmpdir(), "logflow-restart-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the embedded profile keeps its data", () => {
  test("logs, accounts and tokens survive a restart; a second process on the same data dir is refused", async () => {
    const config = loadConfig({ LOGFLOW_DATA_DIR: dir, BCRYPT_ROUNDS: "4", LOG_LEVEL: "error" });
    const service = `restart-${crypto.randomUUID().slice(0, 8)}`;

    const first = await startRuntime(config, { retention: true });
    expect(first.adminCreated).toBe(true);
    await expect(startRuntime(config, { retention: true })).rejects.toThrow(/is in use/);
    const app1 = createApp(first.deps);
    const login = await app1.request("/api/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "username=admin&password=admin123",
    });
    const { access_token } = (await login.json()) as { access_token: string };
    const res = await app1.request("/api/v1/ingest", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${access_token}` },
      body: JSON.stringify([
        { service, message: "before the restart" },
        { service, level: "ERROR", message: "still here after" },
      ]),
    });
    expect(res.status).toBe(200);
    await first.close();

    const second = await startRuntime(config, { retention: true });
    try {
      expect(second.adminCreated).toBe(false);
      const app2 = createApp(second.deps);
      const found = await app2.request(`/api/v1/logs/search?service=${service}`);
      expect(((await found.json()) as { total: number }).total).toBe(2);
      // The generated signing key was kept, so sessions survive too.
      const me = await app2.request("/api/v1/auth/me", {
        headers: { authorization: `Bearer ${access_token}` },
      });
      expect(me.status).toBe(200);
    } finally {
      await second.close();
    }
  }, 60_000);
});
