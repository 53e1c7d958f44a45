/**
 * `bun run cluster`: every cluster role from one env file, against the real Kafka and Postgres. Ingest
 * through the collector is found through the API (so the indexer ran); a role killed with SIGKILL is
 * started again; SIGTERM to the supervisor stops every role and leaves no process behind.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { isAlive } from "../core/process-alive.ts";
import { freePort, groupAlive } from "./edge/runtime-process.ts";
import {
  freshPostgresDatabase,
  KAFKA_TEST_BROKERS,
  kafkaReachable,
  postgresReachable,
} from "./helpers/engines.ts";
import { login, overHttp } from "./helpers/login.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";
import { until } from "./helpers/until.ts";

integrationTimeouts();

const TIMEOUT = 120_000;
const enabled = (await postgresReachable()) && (await kafkaReachable());
const ROOT = resolve(import.meta.dir, "..");
const tmp = mkdtempSync(join(tmpdir(), "logflow-cluster-"));
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

describe.skipIf(!enabled)("bun run cluster", () => {
  let db: { url: string; drop(): Promise<void> };
  let cluster: ChildProcess;
  let output = "";
  let exited: Promise<number | null>;
  const ports = { api: 0, collector: 0, indexer: 0 };
  let token = "";
  const word = `clusterword${run}`;

  const url = (role: keyof typeof ports, path: string) => `http://127.0.0.1:${ports[role]}${path}`;
  const healthy = (role: keyof typeof ports) => async () =>
    (await fetch(url(role, "/health"))).status === 200 ? true : undefined;
  const pidsOf = (role: string) =>
    [...output.matchAll(new RegExp(`${role} started \\(pid (\\d+)\\)`, "g"))].map((m) => Number(m[1]));
  const found = async () => {
    const res = await fetch(url("api", `/api/v1/logs/search?query=${word}&limit=1`), {
      headers: { authorization: `Bearer ${token}` },
    });
    return ((await res.json()) as { total: number }).total;
  };
  const ingest = async (n: number) => {
    const events = Array.from({ length: n }, (_, i) => ({
      service: "cluster-test",
      message: `${word} ${i}`,
    }));
    const res = await fetch(url("collector", "/api/v1/ingest"), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(events),
    });
    expect(res.status).toBe(200);
  };

  beforeAll(async () => {
    db = await freshPostgresDatabase();
    ports.api = await freePort();
    ports.collector = await freePort();
    ports.indexer = await freePort();
    const envFile = join(tmp, ".env.cluster");
    writeFileSync(
      envFile,
      [
        "# what the test cluster runs with",
        `DATABASE_URL=${db.url}`,
        `KAFKA_BROKERS=${KAFKA_TEST_BROKERS.join(",")}`,
        `KAFKA_TOPIC=test-cluster-${run}`,
        `KAFKA_GROUP_ID=test-cluster-${run}`,
        `PORT=${ports.api}`,
        `COLLECTOR_PORT=${ports.collector}`,
        `INDEXER_PORT=${ports.indexer}`,
        "HOST=127.0.0.1",
        `LOGFLOW_DATA_DIR=${join(tmp, "data")}`,
        "ENVIRONMENT=test",
        "ADMIN_PASSWORD=cluster-test-admin",
        "BCRYPT_ROUNDS=4",
        "RATE_LIMIT_ENABLED=false",
      ].join("\n"),
    );
    // Its own process group, so that the test can tell whether anything of the cluster outlived it.
    cluster = spawn("bun", ["run", "cluster", "--env-file", envFile], {
      cwd: ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    cluster.stdout?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    cluster.stderr?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    exited = new Promise((done) => cluster.once("exit", (code) => done(code)));
    for (const role of ["api", "collector", "indexer"] as const) {
      await until(`${role} /health`, healthy(role), 90_000).catch((err) => {
        throw new Error(`${err.message}; the cluster printed:\n${output}`);
      });
    }
    token = await login(overHttp(url("api", "")), "admin", "cluster-test-admin");
  }, TIMEOUT);

  afterAll(async () => {
    if (cluster?.pid && groupAlive(cluster.pid)) process.kill(-cluster.pid, "SIGKILL");
    await db?.drop();
    rmSync(tmp, { recursive: true, force: true });
  }, TIMEOUT);

  test(
    "events ingested through the collector are found through the API, and every role's lines are prefixed",
    async () => {
      await ingest(50);
      expect(await until("50 events indexed", async () => ((await found()) === 50 ? 50 : undefined))).toBe(
        50,
      );
      await until("the scheduler's start line", async () =>
        output.includes("scheduler |") ? true : undefined,
      );
      for (const role of ["api", "collector", "indexer", "scheduler"]) {
        expect(output).toMatch(new RegExp(`^${role}\\s*\\| \\{`, "m"));
      }
    },
    TIMEOUT,
  );

  test(
    "an indexer killed with SIGKILL is started again and indexes what comes next",
    async () => {
      const [killed] = pidsOf("indexer").slice(-1);
      process.kill(killed!, "SIGKILL");
      const next = await until("a new indexer", async () =>
        pidsOf("indexer").find((p) => p !== killed && isAlive(p)),
      );
      expect(output).toMatch(/indexer was killed by SIGKILL after [\d.]+ s; restarting in/);
      expect(next).not.toBe(killed);
      await until("indexer /health", healthy("indexer"));
      await ingest(50);
      expect(await until("100 events indexed", async () => ((await found()) === 100 ? 100 : undefined))).toBe(
        100,
      );
    },
    TIMEOUT,
  );

  test(
    "SIGTERM to the supervisor stops every role and no process of the cluster survives",
    async () => {
      const roles = ["api", "collector", "indexer", "scheduler"].map((r) => pidsOf(r).at(-1)!);
      expect(roles.every(isAlive)).toBe(true);
      process.kill(cluster.pid!, "SIGTERM");
      const code = await Promise.race([exited, Bun.sleep(60_000).then(() => "still running")]);
      expect(code).toBe(0);
      expect(roles.filter(isAlive)).toEqual([]);
      expect(groupAlive(cluster.pid!)).toBe(false);
      expect(output).toContain("SIGTERM: stopping 4 role(s)");
    },
    TIMEOUT,
  );
});
