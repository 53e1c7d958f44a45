/**
 * Smoke test: the API module boots in workerd (wrangler dev, run by Node: wrangler does not run under
 * Bun) from wrangler.toml and workers/cloudflare/index.ts, and answers over a real socket.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { OPENSEARCH_TEST_URL, opensearchReachable, postgresReachable } from "../helpers/engines.ts";
import { login, overHttp } from "../helpers/login.ts";
import { messagesOf, readSse } from "../helpers/sse.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";
import {
  describeWithoutDatabase,
  describeWithPostgres,
  EDGE_TIMEOUT_MS,
  edgeSuitesEnabled,
  expectHealthShape,
  freePort,
  groupAlive,
  ROOT,
  type RuntimeProcess,
  requireBinary,
  startRuntimeProcess,
  suiteServerWithDatabase,
  TEST_SECRET,
  testLoginIngestSearch,
} from "./runtime-process.ts";

integrationTimeouts();

const enabled = edgeSuitesEnabled("workerd");
const withPostgres = enabled && (await postgresReachable());
const withOpenSearch = withPostgres && (await opensearchReachable());

async function startWorkerd(vars: Record<string, string>): Promise<RuntimeProcess> {
  const wrangler = requireBinary("node_modules/wrangler/bin/wrangler.js", "wrangler (4.86.0)");
  // wrangler refuses to start when the assets directory is missing; the dashboard may not be built.
  mkdirSync(resolve(ROOT, "web/dist"), { recursive: true });
  const port = await freePort();
  const inspector = await freePort();
  const args = [wrangler, "dev", "--local", "--ip", "127.0.0.1", "--port", String(port)];
  args.push("--inspector-port", String(inspector), "--show-interactive-dev-session=false");
  // --var overrides wrangler.toml [vars] and any .dev.vars a developer keeps.
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  return startRuntimeProcess("wrangler dev", "node", args, port, {
    // No network here but the npm registry: skip the Request.cf download and telemetry.
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_SEND_METRICS: "false",
    FORCE_COLOR: "0",
  });
}

const base = { SECRET_KEY: TEST_SECRET, ENVIRONMENT: "test", LOG_LEVEL: "warn", BCRYPT_ROUNDS: "4" };

describeWithoutDatabase("workerd", enabled, startWorkerd, base, (worker) => {
  test(
    "login answers 503 saying DATABASE_URL is not set instead of pretending",
    async () => {
      const res = await fetch(`${worker().base}/api/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "someone", password: "something" }),
      });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { detail: string }).detail).toContain("DATABASE_URL is not set");
    },
    EDGE_TIMEOUT_MS,
  );

  // Not tested here: the cron trigger. wrangler 4.86.0's local dev fails /cdn-cgi/handler/scheduled with a
  // DataCloneError whenever [assets] is configured (its assets RPC proxy forwards the ScheduledController
  // over RPC; cloudflare/workers-sdk#9882, fixed in a later miniflare). The handler itself is covered by
  // workers/cloudflare/index.test.ts.
});

describeWithPostgres("workerd", withPostgres, startWorkerd, base);

// The live tail on workerd: each stream ends after TAIL_MAX_SECONDS, as a platform limit would end it, and
// the client resumes with Last-Event-ID, missing nothing of what was shipped in between.
describe.skipIf(!withPostgres)("workerd: live tail", () => {
  const suite = suiteServerWithDatabase((db) =>
    startWorkerd({
      ...base,
      DATABASE_URL: db.url,
      TAIL_MAX_SECONDS: "3",
      TAIL_POLL_MS: "100",
      TAIL_HEARTBEAT_SECONDS: "1",
    }),
  );

  test(
    "a stream that ends is resumed with Last-Event-ID: nothing shipped meanwhile is missed or repeated",
    async () => {
      const token = await login(overHttp(suite.server.base), suite.db.username, suite.db.password);
      const auth = { authorization: `Bearer ${token}` };
      const service = `edge-tail-${crypto.randomUUID().slice(0, 8)}`;
      const ship = async (message: string, ageMs = 0) => {
        const res = await fetch(`${suite.server.base}/api/v1/ingest`, {
          method: "POST",
          headers: { ...auth, "content-type": "application/json" },
          body: JSON.stringify({ service, message, timestamp: new Date(Date.now() - ageMs).toISOString() }),
        });
        expect(res.status).toBe(200);
      };
      const open = async (lastEventId?: string) => {
        const res = await fetch(`${suite.server.base}/api/v1/logs/tail?query=service:${service}`, {
          headers: { ...auth, ...(lastEventId ? { "Last-Event-ID": lastEventId } : {}) },
        });
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
        return readSse(res);
      };

      const first = await open();
      await ship("one");
      await first.until((s) => s.events().length === 1, 20_000);
      await first.until((s) => s.ended, 20_000);
      expect(
        first.items.some((i) => i.type === "comment" && i.text.startsWith("stream ends after 3 s")),
      ).toBe(true);
      await ship("two, shipped between streams, an hour late", 3_600_000);
      const second = await open(first.lastEventId);
      await ship("three");
      await second.until((s) => s.events().length >= 2, 20_000);
      await second.close();
      expect([...messagesOf(first), ...messagesOf(second)]).toEqual([
        "one",
        "two, shipped between streams, an hour late",
        "three",
      ]);
    },
    EDGE_TIMEOUT_MS,
  );
});

// Logs in OpenSearch, read and written from workerd over plain fetch (the official clients do not load
// there); users still in Postgres. Each run writes under its own index prefix.
describeWithPostgres(
  "workerd, logs in OpenSearch",
  withOpenSearch,
  startWorkerd,
  {
    ...base,
    OPENSEARCH_URL: OPENSEARCH_TEST_URL,
    SEARCH_INDEX_PREFIX: `logflow-edge-${crypto.randomUUID().slice(0, 8)}`,
  },
  "green",
);

// `bun run dev:edge` as the README runs it on a fresh clone: no SECRET_KEY, no ENVIRONMENT, no .dev.vars
// of its own; only DATABASE_URL in the environment. It used to answer 500 to every call (wrangler.toml's
// production [vars] without a SECRET_KEY).
describe.skipIf(!withPostgres)("bun run dev:edge", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "logflow-dev-edge-"));
  const suite = suiteServerWithDatabase(async (db) => {
    const port = await freePort();
    const inspector = await freePort();
    return startRuntimeProcess(
      "bun run dev:edge",
      "bun",
      ["run", "dev:edge", "--inspector-port", String(inspector), "--show-interactive-dev-session=false"],
      port,
      {
        PORT: String(port),
        HOST: "127.0.0.1",
        DATABASE_URL: db.url,
        LOGFLOW_DATA_DIR: dataDir,
        // Empty counts as unset: whatever the test's own environment holds does not reach the Worker.
        SECRET_KEY: "",
        ENVIRONMENT: "",
        LOG_LEVEL: "warn",
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
        WRANGLER_SEND_METRICS: "false",
        FORCE_COLOR: "0",
      },
    );
  }, EDGE_TIMEOUT_MS * 2);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  test(
    "serves the API healthy with a development signing key kept in LOGFLOW_DATA_DIR",
    async () => {
      const res = await fetch(`${suite.server.base}/health`);
      const body = await expectHealthShape(res);
      expect({ status: res.status, health: body.status }).toEqual({ status: 200, health: "healthy" });
      const key = statSync(join(dataDir, "secret.key"));
      expect(key.mode & 0o777).toBe(0o600);
    },
    EDGE_TIMEOUT_MS,
  );

  testLoginIngestSearch(suite);

  test(
    "SIGTERM to the bun run process stops wrangler and workerd",
    async () => {
      process.kill(suite.server.pid, "SIGTERM");
      expect(await suite.server.exitsWithin(30_000)).toBe(true);
      const deadline = Date.now() + 15_000;
      while (groupAlive(suite.server.pid) && Date.now() < deadline) await Bun.sleep(200);
      expect(groupAlive(suite.server.pid)).toBe(false);
    },
    EDGE_TIMEOUT_MS,
  );
});
