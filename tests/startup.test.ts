/**
 * Start-up failures as an operator meets them: each entrypoint spawned as `bun run <role>` runs it, with
 * one bad setting, ends with one line on stderr naming the variable and what to check (no stack trace)
 * and exit code 78 (a setting to fix) or 69 (a dependency that did not answer); a dependency that comes
 * up during STARTUP_WAIT_SECONDS is waited for. Real Postgres, Kafka and OpenSearch; the one fake is a
 * server that refuses a password, as the shared test Postgres trusts every local connection.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { SearchEngineError } from "../core/adapters/search/backend.ts";
import { searchStartupVerdict } from "../core/adapters/search/startup.ts";
import { StartupError, waitFor } from "../core/startup.ts";
import { freePort } from "./edge/runtime-process.ts";
import {
  freshPostgresDatabase,
  KAFKA_TEST_BROKERS,
  kafkaReachable,
  OPENSEARCH_TEST_URL,
  opensearchReachable,
  POSTGRES_ADMIN_URL,
  postgresReachable,
} from "./helpers/engines.ts";
import { type Forwarder, forwarder } from "./helpers/forwarder.ts";
import { roleEnv } from "./helpers/role-env.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";
import {
  connectQueue,
  dropTopics,
  freshDb,
  freshNames,
  makeEvents,
  spawnIndexer,
  waitFor as waitUntil,
} from "./kafka/harness.ts";

integrationTimeouts(60_000);

const ROOT = resolve(import.meta.dir, "..");
const scratch = mkdtempSync(join(tmpdir(), "logflow-startup-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * A database of its own for the runs that get past the database (they apply migrations), made on
 * first use and dropped at the end.
 */
let fresh: Promise<{ url: string; drop(): Promise<void> }> | undefined;
async function freshDatabase(): Promise<string> {
  fresh ??= freshPostgresDatabase();
  return (await fresh).url;
}
afterAll(async () => {
  if (fresh) await (await fresh).drop();
});

/** A local port nothing listens on (port 1 needs root to listen on). */
const DEAD = "127.0.0.1:1";
const pg = (database: string, user = "postgres", host = new URL(POSTGRES_ADMIN_URL).host) =>
  `postgres://${user}@${host}/${database}`;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run an entrypoint to its end with `env` over a clean base (no engine set unless given). */
async function run(role: "dev" | "api" | "collector" | "indexer" | "scheduler", env: Record<string, string>) {
  const proc = Bun.spawn(["bun", `workers/bun/${role}.ts`], {
    cwd: ROOT,
    env: roleEnv({
      PORT: "0",
      LOGFLOW_DATA_DIR: join(scratch, `data-${crypto.randomUUID()}`),
      STARTUP_WAIT_SECONDS: "1",
      ...env,
    }),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const killer = setTimeout(() => proc.kill("SIGKILL"), 45_000);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(killer);
  return { code, stdout, stderr } satisfies Outcome;
}

/** The outcome's stderr is exactly one line, matching `line`, and nothing printed looks like a stack. */
function expectOneLine(o: Outcome, code: number, line: RegExp): void {
  const lines = o.stderr.split("\n").filter((l) => l.trim());
  expect({ code: o.code, lines }).toEqual({ code, lines: [expect.stringMatching(line)] });
  expect(`${o.stdout}${o.stderr}`).not.toMatch(/^\s+at /m);
}

/** A server on 127.0.0.1:`port` that answers every Postgres start-up with FATAL 28P01. */
function passwordRefuser(): Promise<{ port: number; close(): void }> {
  const field = (type: string, text: string) => `${type}${text}\0`;
  const body = Buffer.from(
    field("S", "FATAL") +
      field("V", "FATAL") +
      field("C", "28P01") +
      field("M", 'password authentication failed for user "postgres"') +
      "\0",
  );
  const reply = Buffer.alloc(5 + body.length);
  reply.write("E", 0);
  reply.writeInt32BE(4 + body.length, 1);
  body.copy(reply, 5);
  return new Promise((ok) => {
    const server: Server = createServer((socket) => {
      socket.once("data", () => socket.end(reply));
    });
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      ok({ port: typeof address === "object" && address ? address.port : 0, close: () => server.close() });
    });
  });
}

describe("waitFor", () => {
  const clock = () => {
    let t = 0;
    return {
      now: () => t,
      sleep: async (ms: number) => {
        t += ms;
      },
    };
  };
  const unavailable = (reason: string, waited: number) =>
    new StartupError(69, `X: ${reason} after ${waited} s`);

  test("tries again with backoff until the dependency answers", async () => {
    const c = clock();
    const at: number[] = [];
    const value = await waitFor(
      "x",
      async () => {
        at.push(c.now());
        if (at.length < 5) throw new Error("refused");
        return "up";
      },
      () => ({ retry: true, reason: "refused" }),
      unavailable,
      { waitMs: 30_000, ...c },
    );
    expect(value).toBe("up");
    expect(at).toEqual([0, 250, 750, 1_750, 3_750]);
  });

  test("gives up at the deadline with the last reason; a refusal waiting cannot cure stops at once", async () => {
    const c = clock();
    let tries = 0;
    const gaveUp = waitFor(
      "x",
      async () => {
        tries++;
        throw new Error("refused");
      },
      () => ({ retry: true, reason: "refused" }),
      unavailable,
      { waitMs: 10_000, ...c },
    );
    await expect(gaveUp).rejects.toThrow("X: refused after 10 s");
    expect(c.now()).toBe(10_000);
    expect(tries).toBe(7); // 0, .25, .75, 1.75, 3.75, 7.75, 10

    const fatal = new StartupError(78, "X: wrong");
    let once = 0;
    const refused = waitFor(
      "x",
      async () => {
        once++;
        throw new Error("no such database");
      },
      () => ({ retry: false, error: fatal }),
      unavailable,
      { waitMs: 10_000, ...clock() },
    );
    await expect(refused).rejects.toBe(fatal);
    expect(once).toBe(1);
  });
});

describe("what a search engine's answer at start-up means", () => {
  // No node with security enabled runs here: the verdict on the errors the store raises for them.
  test("refused credentials name the credential variables; 5xx and no answer are waited for", () => {
    const refused = searchStartupVerdict(
      "opensearch",
      "https://admin:secret@search.internal:9200",
      new SearchEngineError(401, "security_exception", "index template: missing authentication credentials"),
    );
    expect(refused.retry).toBe(false);
    const error = refused.retry ? undefined : refused.error;
    expect(error?.exitCode).toBe(78);
    expect(error?.message).toBe(
      "OPENSEARCH_URL: OpenSearch at https://search.internal:9200 refused the credentials (401); check OPENSEARCH_USERNAME and OPENSEARCH_PASSWORD",
    );
    const forbidden = searchStartupVerdict(
      "elasticsearch",
      "http://es:9200",
      new SearchEngineError(403, "x", "y"),
    );
    expect(forbidden.retry ? "" : forbidden.error.message).toContain("check ELASTICSEARCH_API_KEY");
    for (const err of [
      new SearchEngineError(503, "unavailable", "x"),
      new SearchEngineError(0, "unreachable", "x"),
    ])
      expect(searchStartupVerdict("opensearch", "http://os:9200", err).retry).toBe(true);
  });
});

describe.skipIf(!(await postgresReachable()))("start-up: DATABASE_URL", () => {
  test("no server at the address: 69 after the wait, naming the host and port", async () => {
    for (const role of ["api", "scheduler"] as const) {
      const o = await run(role, { DATABASE_URL: `postgres://postgres@${DEAD}/logflow` });
      expectOneLine(
        o,
        69,
        /^DATABASE_URL: no Postgres answered at 127\.0\.0\.1:1 within \d+ s \(.*ECONNREFUSED.*\); check that the server is running/,
      );
    }
  });

  test("an unknown database, an unknown role: 78 at once, saying which", async () => {
    // Every entrypoint that opens the database (the roles that need Kafka get a dead one: the
    // database is opened first).
    for (const role of ["dev", "collector", "indexer", "scheduler"] as const) {
      const o = await run(role, { DATABASE_URL: pg("logflow_no_such_database"), KAFKA_BROKERS: DEAD });
      expectOneLine(o, 78, /^DATABASE_URL: database "logflow_no_such_database" does not exist on /);
    }
    const database = await run("api", { DATABASE_URL: pg("logflow_no_such_database") });
    expectOneLine(
      database,
      78,
      /^DATABASE_URL: database "logflow_no_such_database" does not exist on .+; create it/,
    );
    const role = await run("scheduler", { DATABASE_URL: pg("postgres", "logflow_no_such_role") });
    expectOneLine(
      role,
      78,
      /^DATABASE_URL: .+ refused user "logflow_no_such_role" \(role "logflow_no_such_role" does not exist\); check the user name/,
    );
  });

  test("a refused password: 78 (a stand-in server, the test Postgres trusts local connections)", async () => {
    const refuser = await passwordRefuser();
    try {
      const o = await run("api", {
        DATABASE_URL: `postgres://postgres:wrong@127.0.0.1:${refuser.port}/logflow`,
      });
      expectOneLine(
        o,
        78,
        /^DATABASE_URL: password authentication failed for user "postgres" on 127\.0\.0\.1:\d+; check the password in the URL$/,
      );
      expect(o.stderr).not.toContain("wrong"); // the password never shows
    } finally {
      refuser.close();
    }
  });

  test("a server that comes up during the wait is used: the API starts", async () => {
    const port = await freePort();
    const apiPort = await freePort();
    const proc = Bun.spawn(["bun", "workers/bun/api.ts"], {
      cwd: ROOT,
      env: roleEnv({
        LOG_LEVEL: "info",
        BCRYPT_ROUNDS: "4",
        PORT: String(apiPort),
        DATABASE_URL: pg(new URL(await freshDatabase()).pathname.slice(1), "postgres", `127.0.0.1:${port}`),
        STARTUP_WAIT_SECONDS: "40",
      }),
      stdout: "pipe",
      stderr: "pipe",
    });
    let proxy: Forwarder | undefined;
    try {
      // Once it says it is waiting, the "database" starts (a forwarder to the real one).
      const reader = proc.stdout.getReader();
      let seen = "";
      while (!seen.includes("waiting for Postgres")) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`exited before waiting: ${seen}`);
        seen += new TextDecoder().decode(value);
      }
      // Drained on, so that its output never blocks it.
      void (async () => {
        while (!(await reader.read()).done) {}
      })().catch(() => {});
      proxy = await forwarder(new URL(POSTGRES_ADMIN_URL).host, port);
      let status = 0;
      for (let i = 0; i < 200 && status !== 200; i++) {
        status = await fetch(`http://127.0.0.1:${apiPort}/health`).then(
          (r) => r.status,
          () => 0,
        );
        if (status !== 200) await Bun.sleep(200);
      }
      expect(status).toBe(200);
    } finally {
      proc.kill("SIGTERM");
      await proc.exited;
      await proxy?.close();
    }
  });
});

describe.skipIf(!(await postgresReachable()))("start-up: the port", () => {
  test("a port in use: 69 naming PORT, before anything is created on disk", async () => {
    const holder = createServer();
    const port = await new Promise<number>((ok) =>
      holder.listen(0, "127.0.0.1", () => {
        const a = holder.address();
        ok(typeof a === "object" && a ? a.port : 0);
      }),
    );
    try {
      const dataDir = join(scratch, "never-created");
      const dev = await run("dev", { PORT: String(port), LOGFLOW_DATA_DIR: dataDir });
      expectOneLine(
        dev,
        69,
        new RegExp(`^PORT: port ${port} on 127\\.0\\.0\\.1 is in use by another process; stop it`),
      );
      expect(existsSync(dataDir)).toBe(false);
      for (const role of ["api", "collector", "indexer"] as const) {
        const o = await run(role, {
          PORT: String(port),
          DATABASE_URL: await freshDatabase(),
          KAFKA_BROKERS: DEAD,
        });
        expectOneLine(o, 69, /^PORT: port \d+ on 127\.0\.0\.1 is in use/);
      }
    } finally {
      holder.close();
    }
  });
});

describe.skipIf(!(await postgresReachable()) || !(await kafkaReachable()))("start-up: KAFKA_BROKERS", () => {
  test("no broker answering: 69 from the collector, the indexer and the API, naming KAFKA_BROKERS", async () => {
    for (const role of ["collector", "indexer", "api"] as const) {
      const o = await run(role, { DATABASE_URL: await freshDatabase(), KAFKA_BROKERS: DEAD });
      expectOneLine(
        o,
        69,
        /^KAFKA_BROKERS: no Kafka broker answered at 127\.0\.0\.1:1 within \d+ s \(.*ECONNREFUSED.*\); check that Kafka is running/,
      );
    }
  });
  test("an indexer started before its topic exists waits for it, then indexes what arrives", async () => {
    const db = await freshDb();
    const names = freshNames("startup-topic");
    const logFile = join(scratch, `${names.topic}.log`);
    const proc = spawnIndexer({ databaseUrl: db.url, ...names, logFile });
    try {
      const waiting = async () =>
        (
          await Bun.file(logFile)
            .text()
            .catch(() => "")
        ).includes("waiting for the topic");
      for (let i = 0; i < 150 && !(await waiting()); i++) await Bun.sleep(200);
      expect(await waiting()).toBe(true);
      expect(proc.exitCode).toBeNull();
      // The collector's first start creates the topic and publishes.
      const queue = await connectQueue(names.topic);
      const events = makeEvents(20, ["startup"]);
      await queue.publish(events);
      await queue.close();
      await waitUntil("events stored", async () => (await db.count()) === events.length, 45_000);
    } finally {
      proc.kill("SIGTERM");
      await proc.exited;
      await dropTopics(names.topic);
      await db.close();
    }
  });
});

describe.skipIf(!(await postgresReachable()) || !(await opensearchReachable()))(
  "start-up: the search engine",
  () => {
    test("OPENSEARCH_URL or ELASTICSEARCH_URL with nothing there: 69 naming the variable", async () => {
      const open = await run("api", {
        DATABASE_URL: await freshDatabase(),
        OPENSEARCH_URL: `http://${DEAD}`,
      });
      expectOneLine(
        open,
        69,
        /^OPENSEARCH_URL: OpenSearch did not answer at http:\/\/127\.0\.0\.1:1 within \d+ s \(.*ECONNREFUSED.*\); check that it is running/,
      );
      const elastic = await run("indexer", {
        DATABASE_URL: await freshDatabase(),
        KAFKA_BROKERS: KAFKA_TEST_BROKERS.join(","),
        ELASTICSEARCH_URL: `http://${DEAD}`,
      });
      expectOneLine(
        elastic,
        69,
        /^ELASTICSEARCH_URL: Elasticsearch did not answer at http:\/\/127\.0\.0\.1:1/,
      );
    });
    test("ELASTICSEARCH_URL at an OpenSearch node: 78 naming the variable, not 69 after waiting", async () => {
      const o = await run("api", {
        DATABASE_URL: await freshDatabase(),
        ELASTICSEARCH_URL: OPENSEARCH_TEST_URL,
        STARTUP_WAIT_SECONDS: "30",
      });
      expectOneLine(
        o,
        78,
        /^ELASTICSEARCH_URL: http:\/\/[^ ]+ is not Elasticsearch \(.*\); check the URL \(an OpenSearch node is set with OPENSEARCH_URL\)$/,
      );
      // A setting is wrong: nothing is waited for.
      expect(o.stderr + o.stdout).not.toContain("waiting for");
    });
  },
);
