import { existsSync } from "node:fs";
import postgres from "postgres";
import { createScratchDatabase, type ScratchDatabase } from "../../dev/postgres/scratch-database.ts";

/**
 * Integration suites need real engines. Locally a suite whose engine is absent is skipped (with a
 * message); when LOGFLOW_REQUIRE_ENGINES names the engine (as .ci/run does) an absent engine fails the
 * run instead, so CI can never go green by skipping.
 */
export function requiredEngines(): Set<string> {
  return new Set(
    (process.env.LOGFLOW_REQUIRE_ENGINES ?? "")
      .split(",")
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
}

/**
 * An engine that did not answer: fails the run when it requires the engine, else says that the suites
 * needing it are skipped and returns false. `hint` says how to start one.
 */
function unreachable(engine: string, name: string, where: string, reason: unknown, hint?: string): false {
  if (requiredEngines().has(engine)) {
    throw new Error(`${name} is required (LOGFLOW_REQUIRE_ENGINES) but unreachable at ${where}: ${reason}`);
  }
  console.warn(
    `[skip] ${name} unreachable at ${where}${hint ? ` (start one: ${hint})` : ""}; ${name} suites skipped`,
  );
  return false;
}

/** The admin URL of the Postgres server the tests may create databases on. */
export const POSTGRES_ADMIN_URL =
  process.env.LOGFLOW_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

let postgresAvailable: Promise<boolean> | undefined;

/** Whether the test Postgres server answers; throws when it is absent but required. */
export function postgresReachable(): Promise<boolean> {
  postgresAvailable ??= (async () => {
    const sql = postgres(POSTGRES_ADMIN_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
    try {
      await sql`select 1`;
      return true;
    } catch (err) {
      return unreachable("postgres", "Postgres", POSTGRES_ADMIN_URL, err);
    } finally {
      await sql.end({ timeout: 1 });
    }
  })();
  return postgresAvailable;
}

/** A brand-new empty database on the test server, dropped by `drop()`. */
export function freshPostgresDatabase(): Promise<ScratchDatabase> {
  const name = `logflow_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  return createScratchDatabase(POSTGRES_ADMIN_URL, name);
}

/** The Redis server the tests may use (keys under a random prefix per run, removed afterwards). */
export const REDIS_TEST_URL = process.env.LOGFLOW_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

let redisAvailable: Promise<boolean> | undefined;

/** Whether the test Redis answers PING; throws when it is absent but required. */
export function redisReachable(): Promise<boolean> {
  redisAvailable ??= (async () => {
    const { RespPool } = await import("../../dev/redis-rest/resp.ts");
    const pool = new RespPool(REDIS_TEST_URL, 1, 2_000);
    try {
      const [reply] = await pool.send([["PING"]]);
      if (reply?.t !== "simple" || reply.v !== "PONG")
        throw new Error(`PING answered ${JSON.stringify(reply)}`);
      return true;
    } catch (err) {
      return unreachable("redis", "Redis", REDIS_TEST_URL, err);
    } finally {
      pool.close();
    }
  })();
  return redisAvailable;
}

/** The Kafka brokers the tests may use (a fresh topic and group per test). `bun run kafka:dev` starts one. */
export const KAFKA_TEST_BROKERS = (process.env.LOGFLOW_TEST_KAFKA_BROKERS ?? "127.0.0.1:9092")
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean);

let kafkaAvailable: Promise<boolean> | undefined;

/** Whether the test Kafka answers a metadata request; throws when it is absent but required. */
export function kafkaReachable(): Promise<boolean> {
  kafkaAvailable ??= (async () => {
    const { pingKafka } = await import("../../core/adapters/kafka/client.ts");
    const ping = await pingKafka(KAFKA_TEST_BROKERS, 3_000);
    return (
      ping.ok || unreachable("kafka", "Kafka", KAFKA_TEST_BROKERS.join(","), ping.error, "bun run kafka:dev")
    );
  })();
  return kafkaAvailable;
}

/**
 * The Chromium the dashboard's e2e suite drives: LOGFLOW_CHROMIUM, else `chromium` (Debian's
 * `apt-get install -y chromium`) or `chromium-browser` on the PATH.
 */
export const CHROMIUM_PATH =
  process.env.LOGFLOW_CHROMIUM || Bun.which("chromium") || Bun.which("chromium-browser") || "chromium";

/** Whether Chromium is installed; throws when it is absent but required (LOGFLOW_REQUIRE_ENGINES=chromium). */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (requiredEngines().has("chromium")) {
    throw new Error(
      `Chromium is required (LOGFLOW_REQUIRE_ENGINES) but absent (${CHROMIUM_PATH}): apt-get install -y chromium, or set LOGFLOW_CHROMIUM`,
    );
  }
  console.warn(
    `[skip] Chromium absent (${CHROMIUM_PATH}; apt-get install -y chromium, or set LOGFLOW_CHROMIUM); browser suites skipped`,
  );
  return false;
}

/** The OpenSearch node the tests may use (`bun run opensearch:dev`; indices under a fresh prefix per run). */
export const OPENSEARCH_TEST_URL = process.env.LOGFLOW_TEST_OPENSEARCH_URL ?? "http://127.0.0.1:9200";

let opensearchAvailable: Promise<boolean> | undefined;

/** Whether the test OpenSearch node answers `/_cluster/health`; throws when it is absent but required. */
export function opensearchReachable(): Promise<boolean> {
  opensearchAvailable ??= (async () => {
    try {
      const res = await fetch(`${OPENSEARCH_TEST_URL}/_cluster/health`, {
        signal: AbortSignal.timeout(3_000),
      });
      if (!res.ok) throw new Error(`/_cluster/health answered ${res.status}`);
      return true;
    } catch (err) {
      return unreachable("opensearch", "OpenSearch", OPENSEARCH_TEST_URL, err, "bun run opensearch:dev");
    }
  })();
  return opensearchAvailable;
}
