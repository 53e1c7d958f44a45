/**
 * Which engine errors are outages (the indexer waits them out) and which are faults (it stops): each
 * adapter's classifier against errors its real client raised here.
 */
import { describe, expect, test } from "bun:test";
import { createConnection, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { isKafkaOutage, kafkaClient } from "../core/adapters/kafka/client.ts";
import { connectPostgres } from "../core/adapters/postgres/connect.ts";
import { isPostgresOutage } from "../core/adapters/postgres/outage.ts";
import { ensureOk, isSearchEngineOutage, SearchEngineError } from "../core/adapters/search/backend.ts";
import { fetchEngine } from "../core/adapters/search/fetch.ts";
import { isEngineOutage } from "../workers/outage.ts";
import { startTestApp } from "./helpers/app.ts";
import {
  freshPostgresDatabase,
  KAFKA_TEST_BROKERS,
  kafkaReachable,
  OPENSEARCH_TEST_URL,
  opensearchReachable,
  POSTGRES_ADMIN_URL,
  postgresReachable,
} from "./helpers/engines.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";

integrationTimeouts();

/** A local port nothing listens on. */
const CLOSED_PORT = 1;
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (err: unknown) => err,
  );

/**
 * The error a COPY FROM STDIN's writer gets when its connection's socket is closed from this side (as
 * the embedded database's restart closes its connections) with a chunk still going out ("waiting"), or
 * just before a chunk is written ("after"). On a reserved connection: in a transaction, the failed
 * ROLLBACK's CONNECTION_CLOSED would be what the caller sees instead.
 */
async function copyCutShort(url: string, when: "waiting" | "after"): Promise<unknown> {
  const { hostname, port } = new URL(url);
  let socket: Socket | undefined;
  // `socket` is a documented postgres.js option its types leave out: passed as a variable, not a literal.
  const options = {
    max: 1,
    onnotice: () => {},
    socket: () => {
      socket = createConnection(Number(port || 5432), hostname);
      return socket;
    },
  };
  const sql = postgres(url, options);
  try {
    await sql`create table if not exists copied (t text)`;
    const reserved = await sql.reserve();
    const stream = await reserved`copy copied (t) from stdin`.writable();
    const err = await new Promise<unknown>((resolve) => {
      stream.on("error", resolve);
      stream.on("finish", () => resolve(null));
      if (when === "waiting") {
        // More than the socket's buffers take at once: the rest waits in the runtime when it closes.
        stream.write(`${"x".repeat(32 * 1024 * 1024)}\n`);
        socket?.destroy();
      } else {
        stream.write("first\n", () => {
          socket?.destroy();
          stream.write("second\n");
        });
      }
    });
    reserved.release();
    return err;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

describe("the embedded database's Unix socket", () => {
  test("a socket that is gone (its thread restarting) or not reachable is an outage; other file errors are not", async () => {
    const gone = postgres({ path: join(tmpdir(), `no-such-${crypto.randomUUID()}.sock`), max: 1 });
    const err = await errorOf(gone`select 1`);
    expect((err as { code?: string }).code).toBe("ENOENT");
    expect(isPostgresOutage(err)).toBe(true);
    await gone.end({ timeout: 1 });
    expect(isPostgresOutage(Object.assign(new Error("x"), { code: "EACCES", syscall: "connect" }))).toBe(
      true,
    );
    expect(isPostgresOutage(Object.assign(new Error("x"), { code: "ENOENT", syscall: "open" }))).toBe(false);
  });
});

describe.skipIf(!(await postgresReachable()))("Postgres errors", () => {
  test("a server that is away or refuses the database for now is an outage", async () => {
    const away = connectPostgres(`postgres://postgres@127.0.0.1:${CLOSED_PORT}/x`, { max: 1 });
    expect(isPostgresOutage(await errorOf(away`select 1`))).toBe(true);
    await away.end({ timeout: 1 });

    const db = await freshPostgresDatabase();
    const admin = postgres(POSTGRES_ADMIN_URL, { max: 1, onnotice: () => {} });
    const name = new URL(db.url).pathname.slice(1);
    const sql = connectPostgres(db.url, { max: 1 });
    try {
      await sql`select 1`;
      await admin.unsafe(`alter database ${name} with allow_connections false`);
      await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${name}`;
      // The connection the server closed, then a new one it refuses (each from its own client: a client
      // whose connection failed may hold the next query back until one opens).
      const fresh = connectPostgres(db.url, { max: 1 });
      const errors = [await errorOf(sql`select 1`), await errorOf(fresh`select 1`)];
      await fresh.end({ timeout: 1 });
      expect(errors.map((e) => (e as { code?: string }).code)).toEqual([expect.any(String), "55000"]);
      expect(errors.map(isPostgresOutage)).toEqual([true, true]);
      expect(errors.map(isEngineOutage)).toEqual([true, true]);
    } finally {
      await admin.unsafe(`alter database ${name} with allow_connections true`);
      await sql.end({ timeout: 1 });
      await admin.end();
      await db.drop();
    }
  });

  test("a write to a connection that closed under it is an outage: Bun's socket errors, as postgres.js passes them on", async () => {
    const db = await freshPostgresDatabase();
    try {
      const errors = [await copyCutShort(db.url, "waiting"), await copyCutShort(db.url, "after")];
      // Bun's properties are not own ones (JSON.stringify shows {}): read them directly.
      expect(errors.map((e) => (e as { code?: string }).code)).toEqual([
        "ERR_SOCKET_CLOSED",
        "ERR_STREAM_DESTROYED",
      ]);
      expect(errors.map(isPostgresOutage)).toEqual([true, true]);
      expect(errors.map(isEngineOutage)).toEqual([true, true]);
    } finally {
      await db.drop();
    }
  });

  test("the API answers such an error 503 with Retry-After, and a statement refused for good 500", async () => {
    const db = await freshPostgresDatabase();
    const app = await startTestApp({ DATABASE_URL: db.url });
    const sql = connectPostgres(db.url, { max: 1 });
    try {
      const closed = await copyCutShort(db.url, "waiting");
      const refused = await errorOf(sql`select no_such_column from pg_class`);
      const answer = async (err: unknown) => {
        app.runtime.deps.store.get = () => Promise.reject(err);
        return app.request(`/api/v1/logs/${crypto.randomUUID()}`, {
          headers: { authorization: `Bearer ${app.adminToken}` },
        });
      };
      const away = await answer(closed);
      expect(away.status).toBe(503);
      expect(away.headers.get("retry-after")).toBe("5");
      expect(((await away.json()) as { detail: string }).detail).toBe(
        "Log store unavailable; retry after the delay in Retry-After",
      );
      expect((await answer(refused)).status).toBe(500);
    } finally {
      await sql.end({ timeout: 1 });
      await app.close();
      await db.drop();
    }
  });

  test("a statement the server refuses for good, or a bug, is not", async () => {
    const db = await freshPostgresDatabase();
    const sql = connectPostgres(db.url, { max: 1 });
    try {
      expect(isPostgresOutage(await errorOf(sql`select no_such_column from pg_class`))).toBe(false);
      expect(isPostgresOutage(await errorOf(sql`select 1/0`))).toBe(false);
      expect(isPostgresOutage(new TypeError("x is undefined"))).toBe(false);
      expect(isEngineOutage(await errorOf(sql`select no_such_column from pg_class`))).toBe(false);
    } finally {
      await sql.end({ timeout: 1 });
      await db.drop();
    }
  });
});

describe.skipIf(!(await kafkaReachable()))("Kafka errors", () => {
  test("no broker answering is an outage; a request refused for good and a bug are not", async () => {
    const away = kafkaClient({ brokers: [`127.0.0.1:${CLOSED_PORT}`], clientId: "logflow-test" }).producer({
      retry: { retries: 0 },
    });
    expect(isKafkaOutage(await errorOf(away.connect()))).toBe(true);

    const admin = kafkaClient({ brokers: KAFKA_TEST_BROKERS, clientId: "logflow-test" }).admin();
    await admin.connect();
    try {
      const refused = await errorOf(
        admin.createTopics({ topics: [{ topic: "no spaces allowed here", numPartitions: 1 }] }),
      );
      expect(refused).toBeInstanceOf(Error);
      expect(isKafkaOutage(refused)).toBe(false);
    } finally {
      await admin.disconnect();
    }
    expect(isKafkaOutage(new TypeError("x is undefined"))).toBe(false);
  });
});

describe.skipIf(!(await opensearchReachable()))("search engine errors", () => {
  test("no answer, 429 and 5xx are outages; a 4xx refusal is not", async () => {
    const away = fetchEngine({
      url: `http://127.0.0.1:${CLOSED_PORT}`,
      flavor: "opensearch",
      timeoutMs: 2_000,
    });
    expect(isSearchEngineOutage(await errorOf(away.transport({ method: "GET", path: "/" })))).toBe(true);

    const engine = fetchEngine({ url: OPENSEARCH_TEST_URL, flavor: "opensearch" });
    const bad = await engine.transport({ method: "GET", path: "/_no_such_api_here" });
    const refused = await errorOf(Promise.resolve().then(() => ensureOk(bad, "request")));
    expect(refused).toBeInstanceOf(SearchEngineError);
    expect(isSearchEngineOutage(refused)).toBe(false);
    expect(
      isSearchEngineOutage(new SearchEngineError(429, "es_rejected_execution_exception", "queue full")),
    ).toBe(true);
    expect(isSearchEngineOutage(new SearchEngineError(503, "index_blocked", "read-only"))).toBe(true);
  });
});
