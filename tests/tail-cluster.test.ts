/**
 * The live tail in the cluster profile: two API replicas publish to the real Kafka, an indexer process
 * writes to Postgres, and a tail on either replica, over a real socket, sees what the indexer stored.
 * A tail dropped on one replica resumes on the other with its Last-Event-ID, late events included.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import type { Subprocess } from "bun";
import { freePort } from "./edge/runtime-process.ts";
import {
  freshPostgresDatabase,
  KAFKA_TEST_BROKERS,
  kafkaReachable,
  postgresReachable,
} from "./helpers/engines.ts";
import { login, overHttp } from "./helpers/login.ts";
import { messagesOf, readSse, type SseSession } from "./helpers/sse.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";
import { until } from "./helpers/until.ts";

integrationTimeouts();

const TIMEOUT = 120_000;
const HOUR = 3_600_000;
// Each throws when LOGFLOW_REQUIRE_ENGINES names the engine and it is absent, so CI cannot skip.
const enabled = (await postgresReachable()) && (await kafkaReachable());
const ROOT = resolve(import.meta.dir, "..");
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

interface Role {
  name: string;
  port: number;
  proc: Subprocess;
  output: string[];
}

describe.skipIf(!enabled)("live tail, cluster profile (Kafka, an indexer process, two API replicas)", () => {
  let db: { url: string; drop(): Promise<void> };
  const roles: Role[] = [];
  let token = "";
  const service = `tail-cluster-${run}`;

  function start(name: string, script: string, port: number, env: Record<string, string>): Role {
    const output: string[] = [];
    const proc = Bun.spawn(["bun", script], {
      cwd: ROOT,
      env: { ...process.env, ...env, PORT: String(port) },
      stdout: "pipe",
      stderr: "pipe",
    });
    for (const stream of [proc.stdout, proc.stderr]) {
      void (async () => {
        for await (const chunk of stream as ReadableStream<Uint8Array>)
          output.push(new TextDecoder().decode(chunk));
      })();
    }
    const role = { name, port, proc, output };
    roles.push(role);
    return role;
  }

  const url = (r: Role, path: string) => `http://127.0.0.1:${r.port}${path}`;
  let apiA: Role;
  let apiB: Role;

  beforeAll(async () => {
    db = await freshPostgresDatabase();
    const env = {
      DATABASE_URL: db.url,
      KAFKA_BROKERS: KAFKA_TEST_BROKERS.join(","),
      KAFKA_TOPIC: `test-tail-${run}`,
      KAFKA_GROUP_ID: `test-tail-${run}`,
      HOST: "127.0.0.1",
      ENVIRONMENT: "test",
      // Shared, so that a token from one replica is good on the other.
      SECRET_KEY: "tail-cluster-test-secret-0123456789abcdef",
      ADMIN_PASSWORD: "tail-cluster-admin",
      BCRYPT_ROUNDS: "4",
      RATE_LIMIT_ENABLED: "false",
      LOG_LEVEL: "warn",
      TAIL_POLL_MS: "100",
      TAIL_HEARTBEAT_SECONDS: "1",
    };
    apiA = start("api-a", "workers/bun/api.ts", await freePort(), env);
    // The first replica migrates and creates the topic; the others then start on a ready database.
    const ready = 90_000;
    await until(
      "api-a /health",
      async () => ((await fetch(url(apiA, "/health"))).ok ? true : undefined),
      ready,
    );
    apiB = start("api-b", "workers/bun/api.ts", await freePort(), env);
    const indexer = start("indexer", "workers/bun/indexer.ts", await freePort(), env);
    for (const r of [apiB, indexer]) {
      await until(
        `${r.name} /health`,
        async () => ((await fetch(url(r, "/health"))).ok ? true : undefined),
        ready,
      ).catch((err) => {
        throw new Error(`${err.message}; it printed:\n${r.output.join("")}`);
      });
    }
    token = await login(overHttp(url(apiA, "")), "admin", "tail-cluster-admin");
  }, TIMEOUT);

  afterAll(async () => {
    for (const r of roles) r.proc.kill("SIGTERM");
    await Promise.all(
      roles.map((r) => Promise.race([r.proc.exited, Bun.sleep(15_000).then(() => r.proc.kill("SIGKILL"))])),
    );
    await db?.drop();
  }, TIMEOUT);

  const send = async (via: Role, message: string, ageMs = 0) => {
    const res = await fetch(url(via, "/api/v1/ingest"), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ service, message, timestamp: new Date(Date.now() - ageMs).toISOString() }),
    });
    expect(res.status).toBe(200);
  };

  async function tail(on: Role, lastEventId?: string): Promise<{ s: SseSession; abort: AbortController }> {
    const abort = new AbortController();
    const res = await fetch(url(on, `/api/v1/logs/tail?query=service:${service}`), {
      headers: { authorization: `Bearer ${token}`, ...(lastEventId ? { "Last-Event-ID": lastEventId } : {}) },
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    const s = readSse(res);
    // The opening block arrives at once over the socket: nothing buffers the stream.
    await s.until((x) => x.lastEventId !== "", 5_000);
    return { s, abort };
  }

  test(
    "events indexed by the indexer reach a tail on either replica; a dropped tail resumes on the other",
    async () => {
      const first = await tail(apiA);
      await send(apiA, "one");
      await send(apiB, "two, an hour late", HOUR);
      await first.s.until((x) => x.events().length >= 2, 60_000);
      expect(messagesOf(first.s)).toEqual(["one", "two, an hour late"]);
      const resumeAt = first.s.lastEventId;
      first.abort.abort();
      await first.s.close();

      // While no tail is open: one late line, one on time, through either replica.
      await send(apiB, "three, while away, a day late", 24 * HOUR - 60_000);
      await send(apiA, "four, while away");

      const second = await tail(apiB, resumeAt);
      await send(apiA, "five");
      await second.s.until((x) => x.events().length >= 3, 60_000);
      // A little longer, for anything repeated to show.
      await Bun.sleep(500);
      second.abort.abort();
      await second.s.close();
      expect(messagesOf(second.s)).toEqual(["three, while away, a day late", "four, while away", "five"]);
    },
    TIMEOUT,
  );

  test(
    "SIGTERM with a tail open ends the stream, saying so, and the process exits",
    async () => {
      const open = await tail(apiB);
      apiB.proc.kill("SIGTERM");
      await open.s.until((x) => x.ended, 20_000);
      expect(
        open.s.items.some((i) => i.type === "comment" && i.text.startsWith("stream ended by the server")),
      ).toBe(true);
      expect(await Promise.race([apiB.proc.exited, Bun.sleep(20_000).then(() => "still running")])).toBe(0);
    },
    TIMEOUT,
  );
});
