import { afterAll, beforeAll } from "bun:test";
import { loadConfig } from "../../core/config.ts";
import { createApp } from "../../edge-api/app.ts";
import { type Runtime, startRuntime } from "../../workers/bun/runtime.ts";
import { freshPostgresDatabase, postgresReachable } from "./engines.ts";
import { login } from "./login.ts";

export type TestDatabase = "pglite" | "postgres";

/** Which database the API suites run on: PGlite by default, real Postgres with LOGFLOW_TEST_DB=postgres. */
export function testDatabase(): TestDatabase {
  return process.env.LOGFLOW_TEST_DB === "postgres" ? "postgres" : "pglite";
}

export interface TestApp {
  runtime: Runtime;
  request(path: string, init?: RequestInit): Promise<Response>;
  /** A token for the default admin. */
  adminToken: string;
  close(): Promise<void>;
}

/**
 * The real API over a real database (PGlite in memory, or a fresh database on the Postgres server),
 * driven in-process through app.request: everything but the socket.
 */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const kind = testDatabase();
  let drop: (() => Promise<void>) | undefined;
  const base: Record<string, string> = {
    ENVIRONMENT: "test",
    BCRYPT_ROUNDS: "4",
    LOG_LEVEL: "error",
    ADMIN_PASSWORD: "admin-test-password",
    LOGFLOW_DATA_DIR: "memory://",
    // Suites make hundreds of requests from one client; the rate-limit suite turns limits back on.
    RATE_LIMIT_ENABLED: "false",
  };
  if (kind === "postgres") {
    if (!(await postgresReachable())) throw new Error("LOGFLOW_TEST_DB=postgres but Postgres is unreachable");
    const db = await freshPostgresDatabase();
    base.DATABASE_URL = db.url;
    drop = db.drop;
  }
  const config = loadConfig({ ...base, ...env });
  const runtime = await startRuntime(config, { retention: true });
  const app = createApp(runtime.deps);
  const request = async (path: string, init?: RequestInit) => app.request(path, init);
  const access_token = await login(request, config.ADMIN_USERNAME, config.ADMIN_PASSWORD ?? "");
  return {
    runtime,
    request,
    adminToken: access_token,
    async close() {
      await runtime.close();
      await drop?.();
    },
  };
}

/**
 * The suite's app (`startTestApp(env)`), started before its first test and closed after its last: use
 * it at the top of a test file. Reading it before the suite started is a bug in the test, said so.
 */
export function suiteApp(env: Record<string, string> = {}): TestApp {
  let app: TestApp | undefined;
  beforeAll(async () => {
    app = await startTestApp(env);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
  });
  const started = (): TestApp => {
    if (!app) throw new Error("the suite's app is used before beforeAll started it");
    return app;
  };
  return {
    get runtime() {
      return started().runtime;
    },
    get adminToken() {
      return started().adminToken;
    },
    request: (path, init) => started().request(path, init),
    close: () => started().close(),
  };
}

/** POST /api/v1/ingest helper. */
export function ingest(t: TestApp, body: unknown, contentType = "application/json", token = t.adminToken) {
  return t.request("/api/v1/ingest", {
    method: "POST",
    headers: { "content-type": contentType, authorization: `Bearer ${token}` },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** A service name no other test uses, so tests can share one database and run in any order. */
export function freshService(prefix = "svc"): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/** An answer's JSON as the tests read it: checked field by field by the tests themselves. */
// biome-ignore lint/suspicious/noExplicitAny: response JSON, checked field by field by the tests
export type Json = any;

/**
 * A fixed clock 30 s past a whole minute, set as the suite's app clock before its tests: the buckets of
 * a timeseries are then known in advance. Call at the top of a test file, after `suiteApp()`.
 */
export function suiteClockPastMinute(t: TestApp): number {
  const now = Math.floor(Date.now() / 60_000) * 60_000 - 30_000;
  beforeAll(() => {
    t.runtime.deps.now = () => now;
  });
  return now;
}

/** A JSON API call: `body` sent as JSON, a bearer token if given, the answer's JSON (null if empty). */
export async function callJson(
  t: TestApp,
  method: string,
  path: string,
  body?: unknown,
  token?: string | null,
  extraHeaders: Record<string, string> = {},
): Promise<{ status: number; body: Json }> {
  const headers: Record<string, string> = { ...extraHeaders };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await t.request(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
