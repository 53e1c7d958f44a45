import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../core/config.ts";
import { createApp } from "../edge-api/app.ts";
import { startRuntime } from "../workers/bun/runtime.ts";
import { login } from "./helpers/login.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";

// Issue #17 item 11: the embedded profile's data directory stops taking writes (a read-only remount, or
// its permissions removed) while the server runs. Ingest must answer 503 with the reason (never hang),
// /health must say why, nothing acknowledged may be lost, and writes must work again by themselves once
// the directory is writable. As root, permissions do not stop writes: the directory is made read-only by
// a read-only bind mount of itself (needs CAP_SYS_ADMIN, so skipped in a container without it); as
// another user, by removing its write permissions.
integrationTimeouts(180_000);

const dir = mkdtempSync(join(tmpdir(), "logflow-fault-"));
const asRoot = process.getuid?.() === 0;

function run(cmd: string, ...args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
}

function chmodTree(path: string, write: boolean): void {
  const mode = statSync(path).mode & 0o777;
  const wanted = write ? mode | 0o200 : mode & ~0o222;
  if (statSync(path).isDirectory()) for (const name of readdirSync(path)) chmodTree(join(path, name), write);
  chmodSync(path, wanted);
}

/** Writes under `dir` fail from now on; false when this machine cannot arrange that. */
function makeReadOnly(): boolean {
  if (!asRoot) {
    chmodTree(dir, false);
    return true;
  }
  if (!run("mount", "--bind", dir, dir)) return false;
  if (run("mount", "-o", "remount,bind,ro", dir)) return true;
  run("umount", dir);
  return false;
}

function makeWritable(): void {
  if (asRoot) run("umount", dir);
  else chmodTree(dir, true);
}

const canFault = (() => {
  if (!asRoot) return true;
  const probe = mkdtempSync(join(tmpdir(), "logflow-mount-probe-"));
  const ok = run("mount", "--bind", probe, probe);
  if (ok) run("umount", probe);
  rmSync(probe, { recursive: true, force: true });
  return ok;
})();

afterAll(() => {
  makeWritable();
  rmSync(dir, { recursive: true, force: true });
});

describe("an unwritable data directory (embedded profile)", () => {
  test.skipIf(!canFault)(
    "ingest answers 503 with the reason, /health says why, and writes resume once it is writable again; nothing acknowledged is lost",
    async () => {
      const config = loadConfig({
        LOGFLOW_DATA_DIR: dir,
        BCRYPT_ROUNDS: "4",
        LOG_LEVEL: "error",
        ADMIN_PASSWORD: "fault-test-password",
        STORE_WRITE_TIMEOUT_MS: "3000",
      });
      let runtime = await startRuntime(config, { retention: true });
      let app = createApp(runtime.deps);
      try {
        const access_token = await login(app.request, "admin", "fault-test-password");
        const auth = { authorization: `Bearer ${access_token}` };
        const tag = crypto.randomUUID().slice(0, 8);
        const batch = (service: string, n: number) =>
          app.request("/api/v1/ingest", {
            method: "POST",
            headers: { ...auth, "content-type": "application/json" },
            body: JSON.stringify(
              Array.from({ length: n }, (_, i) => ({ service, message: `event ${i} ${"x".repeat(200)}` })),
            ),
          });
        const acked: string[] = [];
        const stored = async (service: string) => {
          const res = await app.request(`/api/v1/logs/search?service=${service}&limit=1`, { headers: auth });
          return ((await res.json()) as { total: number }).total;
        };

        expect((await batch(`before-${tag}`, 500)).status).toBe(200);
        acked.push(`before-${tag}`);

        expect(makeReadOnly()).toBe(true);
        // Every request is answered (a hang fails the test by its timeout). Writes into files the
        // database has open may still succeed for a while; the first that needs a new file fails.
        const databaseDetail = async () =>
          ((await (await app.request("/health")).json()) as { details: Record<string, string> }).details
            .database ?? "";
        const refusals: { detail: string; retryAfter: string | null }[] = [];
        for (let i = 0; i < 20 && !(await databaseDetail()).includes("LOGFLOW_DATA_DIR"); i++) {
          const service = `during-${i}-${tag}`;
          const res = await batch(service, 2000);
          if (res.status === 200) acked.push(service);
          else {
            expect(res.status).toBe(503);
            const body = (await res.json()) as { detail: string };
            refusals.push({ detail: body.detail, retryAfter: res.headers.get("retry-after") });
          }
        }
        // Now every ingest is refused at once, saying why: the data directory when the request gets as far
        // as the store (read-only mount), the database when its socket cannot be reached (permissions).
        const refused = await batch(`refused-${tag}`, 10);
        expect(refused.status).toBe(503);
        refusals.push({
          detail: ((await refused.json()) as { detail: string }).detail,
          retryAfter: refused.headers.get("retry-after"),
        });
        for (const r of refusals) {
          expect(r.retryAfter).toMatch(/^\d+$/);
          expect(r.detail).toMatch(/cannot write to LOGFLOW_DATA_DIR|unavailable/i);
        }

        const health = await app.request("/health");
        expect(health.status).toBe(503);
        const why = (await health.json()) as { details: Record<string, string> };
        expect(why.details.database).toMatch(/cannot write to LOGFLOW_DATA_DIR \((EROFS|EACCES)/);

        makeWritable();
        // Recovers by itself: no restart of the server, just waiting for the database thread's restarts.
        let healthy = false;
        for (let i = 0; i < 60 && !healthy; i++) {
          healthy = (await app.request("/health")).status === 200;
          if (!healthy) await Bun.sleep(1000);
        }
        expect(healthy).toBe(true);
        // The first writes after the restart may still be slow (the engine recovers its files, and a
        // thread stuck in the old engine may keep a core busy): a 503 with Retry-After is a fair answer
        // then, and a client tries again. Each try is its own service, so one that lands after its 503
        // is not counted with the acknowledged one.
        let after = "";
        for (let i = 0; i < 10 && !after; i++) {
          const res = await batch(`after-${i}-${tag}`, 500);
          if (res.status === 200) after = `after-${i}-${tag}`;
          else {
            expect(res.status).toBe(503);
            await Bun.sleep(1000);
          }
        }
        expect(after).not.toBe("");
        acked.push(after);
        for (const service of acked) {
          expect({ service, total: await stored(service) }).toEqual({
            service,
            total: service.startsWith("during") ? 2000 : 500,
          });
        }

        // And from the files alone, after a restart of the server.
        await runtime.close();
        runtime = await startRuntime(config, { retention: true });
        app = createApp(runtime.deps);
        for (const service of acked) expect(await stored(service)).toBeGreaterThan(0);
      } finally {
        makeWritable();
        await runtime.close();
      }
    },
  );
});
