import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { resolve } from "node:path";
import postgres from "postgres";
import { migrate } from "../../core/adapters/postgres/migrate.ts";
import { PostgresUserRepo } from "../../core/adapters/postgres/user-repo.ts";
import { MIGRATIONS } from "../../db/migrations/index.ts";
import { hashPassword } from "../../edge-api/auth/passwords.ts";
import { freshPostgresDatabase } from "../helpers/engines.ts";
import { login, overHttp } from "../helpers/login.ts";

export const ROOT = resolve(import.meta.dir, "../..");
/** How long a runtime may take to answer its first request (an embedded server took 51–60 s at load 20). */
export const READY_TIMEOUT_MS = 90_000;
/** Per-test timeout for the edge suites: booting a runtime is slow, and a cold workerd bundle slower. */
export const EDGE_TIMEOUT_MS = 120_000;
export const TEST_SECRET = "edge-smoke-test-secret-0123456789abcdef";

/**
 * Whether the edge suites run. They never skip silently: only LOGFLOW_SKIP_EDGE=1 skips them, with a
 * warning; otherwise a missing runtime binary fails the suite with a message saying what to install.
 */
export function edgeSuitesEnabled(runtime: string): boolean {
  if (process.env.LOGFLOW_SKIP_EDGE === "1") {
    console.warn(`[skip] LOGFLOW_SKIP_EDGE=1: the ${runtime} smoke tests are skipped`);
    return false;
  }
  return true;
}

/** Fail with the install hint when a runtime's entry file is absent. */
export function requireBinary(path: string, what: string): string {
  const full = resolve(ROOT, path);
  if (!existsSync(full)) {
    throw new Error(
      `${what} not found at ${path}: run \`bun install\` (it is a devDependency), ` +
        "or set LOGFLOW_SKIP_EDGE=1 to skip the edge smoke tests explicitly",
    );
  }
  return full;
}

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => ok(port));
    });
  });
}

export interface RuntimeProcess {
  base: string;
  /** The spawned process's pid, also its process group's id. */
  pid: number;
  /** Everything the child printed so far (for failure messages). */
  output(): string;
  /** Whether the spawned process exited within `ms`. */
  exitsWithin(ms: number): Promise<boolean>;
  stop(): Promise<void>;
}

/** Whether any process of process group `pgid` is still alive (a child left behind by its parent). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Spawn a runtime serving the API on 127.0.0.1:`port`, in its own process group (wrangler starts
 * workerd as a grandchild), and wait until it answers /health with any status.
 */
export async function startRuntimeProcess(
  name: string,
  command: string,
  args: string[],
  port: number,
  env: Record<string, string>,
): Promise<RuntimeProcess> {
  let out = "";
  const started = performance.now();
  const child: ChildProcess = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  let exited: number | string | null = null;
  const exit = new Promise<void>((done) =>
    child.once("exit", (code, signal) => {
      exited = code ?? signal ?? "unknown";
      done();
    }),
  );

  const stop = async () => {
    if (child.pid === undefined) return;
    const pgid = child.pid;
    if (exited === null) {
      try {
        process.kill(-pgid, "SIGTERM");
      } catch {
        return; // already gone
      }
      await Promise.race([exit, Bun.sleep(10_000)]);
    }
    // Whatever of the group outlived its leader (or would not stop) is killed, never left behind.
    if (groupAlive(pgid)) {
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {}
    }
    await exit;
  };

  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (true) {
    if (exited !== null) {
      throw new Error(`${name} exited (${exited}) before answering /health:\n${out}`);
    }
    try {
      await fetch(`${base}/health`, { signal: AbortSignal.timeout(5_000) });
      console.info(
        `[edge] ${name} answered /health ${((performance.now() - started) / 1000).toFixed(1)} s after spawn`,
      );
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`${name} did not answer /health within ${READY_TIMEOUT_MS / 1000} s:\n${out}`);
      }
      await Bun.sleep(250);
    }
  }
  const exitsWithin = (ms: number) =>
    Promise.race([exit.then(() => true), Bun.sleep(ms).then(() => exited !== null)]);
  return { base, pid: child.pid ?? 0, output: () => out, exitsWithin, stop };
}

export interface EdgeDatabase {
  url: string;
  username: string;
  password: string;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database with one user in it. Migrations run from Bun, as in production: the edge
 * entries never migrate.
 */
export async function migratedDatabaseWithUser(): Promise<EdgeDatabase> {
  const db = await freshPostgresDatabase();
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  const username = `edge-${crypto.randomUUID().slice(0, 8)}`;
  const password = `pw-${crypto.randomUUID()}`;
  try {
    await migrate(sql, MIGRATIONS);
    await new PostgresUserRepo(sql).create({
      username,
      email: `${username}@example.test`,
      hashedPassword: await hashPassword(password, 4),
      fullName: "Edge smoke test",
      isAdmin: false,
    });
  } finally {
    await sql.end();
  }
  return { url: db.url, username, password, drop: db.drop };
}

/** The seed's /health shape. */
export async function expectHealthShape(res: Response) {
  expect(res.headers.get("content-type")).toContain("application/json");
  const body = (await res.json()) as {
    status: string;
    timestamp: string;
    services: Record<string, string>;
    details: Record<string, string>;
  };
  expect(["healthy", "degraded", "unhealthy"]).toContain(body.status);
  expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
  expect(typeof body.services).toBe("object");
  return body;
}

/** An unknown API path answers an RFC 9457 problem with the request id in header and body. */
async function expectProblem404(base: string) {
  const res = await fetch(`${base}/api/v1/no-such-route-${crypto.randomUUID().slice(0, 8)}`);
  expect(res.status).toBe(404);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  const requestId = res.headers.get("x-request-id");
  expect(requestId).toBeTruthy();
  const body = (await res.json()) as { status: number; code: string; request_id: string };
  expect(body.status).toBe(404);
  expect(body.code).toBe("NOT_FOUND");
  expect(body.request_id).toBe(requestId!);
}

/** Log in, ingest one event through the edge queue, and find it with a search. */
async function expectLoginIngestSearch(base: string, db: EdgeDatabase) {
  const access_token = await login(overHttp(base), db.username, db.password);
  expect(access_token).toBeTruthy();
  const auth = { authorization: `Bearer ${access_token}` };

  const empty = await fetch(`${base}/api/v1/logs/search?query=x`, { headers: auth });
  expect(empty.status).toBe(200);
  const page = (await empty.json()) as Record<string, unknown>;
  expect(page).toMatchObject({ total: expect.any(Number), logs: expect.any(Array) });
  expect("next_cursor" in page).toBe(true);

  const word = `edgeword${crypto.randomUUID().slice(0, 8)}`;
  const ingest = await fetch(`${base}/api/v1/ingest`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ service: "edge-smoke", level: "INFO", message: `hello ${word}` }),
  });
  expect(ingest.status).toBe(200);
  expect(await ingest.json()).toMatchObject({ accepted: 1, rejected: 0 });

  const found = await fetch(`${base}/api/v1/logs/search?query=${word}`, { headers: auth });
  expect(found.status).toBe(200);
  const hit = (await found.json()) as {
    total: number;
    logs: { message: string }[];
    next_cursor: string | null;
  };
  expect(hit.total).toBe(1);
  expect(hit.logs[0]?.message).toBe(`hello ${word}`);
  expect(hit.next_cursor).toBeNull();
}

/**
 * The shipper protocols on this runtime: an Elasticsearch bulk, an OTLP/HTTP JSON export and a Loki push
 * (with Basic auth), each stored and found by its service.
 */
export async function expectShipperProtocols(base: string, db: EdgeDatabase) {
  const access_token = await login(overHttp(base), db.username, db.password);
  const bearer = { authorization: `Bearer ${access_token}` };
  const run = crypto.randomUUID().slice(0, 8);
  const bulk = await fetch(`${base}/_bulk`, {
    method: "POST",
    headers: { ...bearer, "content-type": "application/x-ndjson" },
    body: `{"create":{"_index":"edge-bulk-${run}"}}\n{"message":"via bulk"}\n`,
  });
  expect(bulk.headers.get("x-elastic-product")).toBe("Elasticsearch");
  expect(((await bulk.json()) as { errors: boolean }).errors).toBe(false);
  const otlp = await fetch(`${base}/v1/logs`, {
    method: "POST",
    headers: { ...bearer, "content-type": "application/json" },
    body: JSON.stringify({
      resourceLogs: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: `edge-otlp-${run}` } }] },
          scopeLogs: [{ logRecords: [{ severityText: "WARN", body: { stringValue: "via otlp" } }] }],
        },
      ],
    }),
  });
  expect(otlp.status).toBe(200);
  const loki = await fetch(`${base}/loki/api/v1/push`, {
    method: "POST",
    headers: { authorization: `Basic ${btoa(`loki:${access_token}`)}`, "content-type": "application/json" },
    body: JSON.stringify({
      streams: [{ stream: { job: `edge-loki-${run}` }, values: [[`${Date.now()}000000`, "via loki"]] }],
    }),
  });
  expect(loki.status).toBe(204);
  for (const [kind, message] of [
    ["bulk", "via bulk"],
    ["otlp", "via otlp"],
    ["loki", "via loki"],
  ] as const) {
    const found = await fetch(`${base}/api/v1/logs/search?service=edge-${kind}-${run}`, { headers: bearer });
    const page = (await found.json()) as { logs: { message: string }[] };
    expect([kind, page.logs.map((l) => l.message)]).toEqual([kind, [message]]);
  }
}

/** A server a suite runs its tests against, with the database it was started on. */
export interface SuiteServer {
  server: RuntimeProcess;
  db: EdgeDatabase;
}

/**
 * For the enclosing describe: a migrated Postgres database with a user (see migratedDatabaseWithUser) and
 * a server `start` boots on it, made before the first test and stopped and dropped after the last.
 */
export function suiteServerWithDatabase(
  start: (db: EdgeDatabase) => Promise<RuntimeProcess>,
  startTimeout = EDGE_TIMEOUT_MS,
): SuiteServer {
  const suite = {} as SuiteServer;
  beforeAll(async () => {
    suite.db = await migratedDatabaseWithUser();
    suite.server = await start(suite.db);
  }, startTimeout);
  afterAll(async () => {
    await suite.server?.stop();
    await suite.db?.drop();
  }, EDGE_TIMEOUT_MS);
  return suite;
}

/** What every running server answers to a path it does not know, whatever its configuration. */
function testUnknownPath(suite: { server: RuntimeProcess }): void {
  test(
    "an unknown path answers a problem+json 404 with X-Request-ID",
    () => expectProblem404(suite.server.base),
    EDGE_TIMEOUT_MS,
  );
}

/** The round trip a user makes first on a server with a database: log in, ingest an event, search it. */
export function testLoginIngestSearch(suite: SuiteServer): void {
  test(
    "a user logs in, ingests an event and finds it by search",
    () => expectLoginIngestSearch(suite.server.base, suite.db),
    EDGE_TIMEOUT_MS,
  );
}

/**
 * The suite every edge runtime must pass without a database: /health unhealthy (503) saying why, and a
 * problem+json 404. `more` adds a runtime's own tests, given the running server.
 */
export function describeWithoutDatabase(
  name: string,
  enabled: boolean,
  start: (env: Record<string, string>) => Promise<RuntimeProcess>,
  env: Record<string, string>,
  more: (server: () => RuntimeProcess) => void = () => {},
): void {
  describe.skipIf(!enabled)(`${name}: without DATABASE_URL`, () => {
    const suite = {} as { server: RuntimeProcess };
    beforeAll(async () => {
      // Empty counts as unset, and overrides a DATABASE_URL inherited from the test's environment.
      suite.server = await start({ ...env, DATABASE_URL: "" });
    }, EDGE_TIMEOUT_MS);
    afterAll(async () => {
      await suite.server?.stop();
    }, EDGE_TIMEOUT_MS);

    test(
      "/health answers 503 with the database unhealthy because DATABASE_URL is not set",
      async () => {
        const res = await fetch(`${suite.server.base}/health`);
        expect(res.status).toBe(503);
        const body = await expectHealthShape(res);
        expect(body.status).toBe("unhealthy");
        expect(body.services.database).toBe("unhealthy");
        expect(body.details.database).toContain("DATABASE_URL is not set");
      },
      EDGE_TIMEOUT_MS,
    );

    testUnknownPath(suite);

    test(
      "/openapi.json is generated from the routes on this runtime",
      async () => {
        const res = await fetch(`${suite.server.base}/openapi.json`);
        expect(res.status).toBe(200);
        const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
        expect(doc.openapi).toStartWith("3.");
        expect(Object.keys(doc.paths)).toContain("/api/v1/logs/search");
        expect(Object.keys(doc.paths)).toContain("/api/v1/alerts/rules/{id}");
      },
      EDGE_TIMEOUT_MS,
    );

    more(() => suite.server);
  });
}

/**
 * The suite every edge runtime must pass against a migrated Postgres database: /health healthy, a
 * problem+json 404, and login → ingest → search. `start` boots the runtime with the given env.
 */
export function describeWithPostgres(
  name: string,
  enabled: boolean,
  start: (env: Record<string, string>) => Promise<RuntimeProcess>,
  env: Record<string, string>,
  /** What /health details say of the log store: "healthy" for Postgres, the cluster colour for a search engine. */
  logStoreDetail = "healthy",
): void {
  describe.skipIf(!enabled)(`${name}: with a migrated Postgres database`, () => {
    const suite = suiteServerWithDatabase((db) => start({ ...env, DATABASE_URL: db.url }));

    test(
      "/health answers 200 with the database healthy",
      async () => {
        const res = await fetch(`${suite.server.base}/health`);
        const body = await expectHealthShape(res);
        expect({
          status: res.status,
          database: body.services.database,
          log_store: body.services.log_store,
        }).toEqual({ status: 200, database: "healthy", log_store: "healthy" });
        expect(body.details.log_store).toContain(logStoreDetail);
      },
      EDGE_TIMEOUT_MS,
    );

    testUnknownPath(suite);

    testLoginIngestSearch(suite);

    test(
      "Elasticsearch bulk, OTLP/HTTP and Loki push are stored",
      () => expectShipperProtocols(suite.server.base, suite.db),
      EDGE_TIMEOUT_MS,
    );
  });
}
