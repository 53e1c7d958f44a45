/** Shared plumbing of the Kafka suites: a fresh database, topic and group per test, events, polling. */
import { expect } from "bun:test";
import type { Sql } from "postgres";
import { groupLag, kafkaClient } from "../../core/adapters/kafka/client.ts";
import { kafkaLogConsumer } from "../../core/adapters/kafka/consumer.ts";
import { KafkaLogQueue } from "../../core/adapters/kafka/queue.ts";
import { readTopic } from "../../core/adapters/kafka/raw.ts";
import { connectPostgres } from "../../core/adapters/postgres/connect.ts";
import { PostgresLogStore } from "../../core/adapters/postgres/log-store.ts";
import { migrate } from "../../core/adapters/postgres/migrate.ts";
import { type LogEvent, parseLogEvent } from "../../core/log-event.ts";
import { noTelemetry, type Telemetry } from "../../core/ports/telemetry.ts";
import { MIGRATIONS } from "../../db/migrations/index.ts";
import { createApp } from "../../edge-api/app.ts";
import { type Indexer, type IndexerSink, startIndexer as start } from "../../stream-jobs/indexer/indexer.ts";
import type { BatchStep } from "../../stream-jobs/indexer/step.ts";
import { isEngineOutage } from "../../workers/outage.ts";
import type { TestApp } from "../helpers/app.ts";
import { freshPostgresDatabase, KAFKA_TEST_BROKERS } from "../helpers/engines.ts";

export const BROKERS = KAFKA_TEST_BROKERS;

/** A topic and a group nobody else uses. */
export function freshNames(prefix: string): { topic: string; group: string } {
  const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  return { topic: `test-${prefix}-${id}`, group: `test-${prefix}-${id}` };
}

export interface TestDb {
  url: string;
  name: string;
  sql: Sql;
  store: PostgresLogStore;
  count(): Promise<number>;
  close(): Promise<void>;
}

export async function freshDb(): Promise<TestDb> {
  const db = await freshPostgresDatabase();
  const sql = connectPostgres(db.url, { max: 4 });
  await migrate(sql, MIGRATIONS);
  return {
    url: db.url,
    name: new URL(db.url).pathname.slice(1),
    sql,
    store: new PostgresLogStore(sql),
    async count() {
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from logs`;
      return row?.n ?? 0;
    },
    async close() {
      await sql.end({ timeout: 2 });
      await db.drop();
    },
  };
}

/**
 * `n` valid events spread over `services`, each with a per-service `seq` attribute (0, 1, 2, …) and a
 * `run` attribute telling this batch from others.
 */
export function makeEvents(n: number, services: string[], run = crypto.randomUUID()): LogEvent[] {
  const seq = new Map<string, number>();
  const now = Date.now();
  const out: LogEvent[] = [];
  for (let i = 0; i < n; i++) {
    const service = services[i % services.length]!;
    const s = seq.get(service) ?? 0;
    seq.set(service, s + 1);
    const parsed = parseLogEvent(
      {
        service,
        level: i % 10 === 0 ? "ERROR" : "INFO",
        message: `event ${i} of ${service}`,
        attributes: { seq: s, run },
      },
      now,
    );
    if (!parsed.ok) throw new Error(parsed.error);
    out.push(parsed.event);
  }
  return out;
}

export async function connectQueue(
  topic: string,
  partitions = 4,
  ackTimeoutMs = 60_000,
): Promise<KafkaLogQueue> {
  return KafkaLogQueue.connect({
    brokers: BROKERS,
    clientId: "logflow-test",
    topic,
    partitions,
    maxPending: 200_000,
    ackTimeoutMs,
  });
}

/** Publish in requests of `chunk` events, `concurrency` at a time, as a collector under load would. */
export async function publishAll(queue: KafkaLogQueue, events: LogEvent[], chunk = 100, concurrency = 4) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < events.length) {
        const from = next;
        next += chunk;
        await queue.publish(events.slice(from, from + chunk));
      }
    }),
  );
}

/** An indexer on the topic, as `bun run indexer` builds it; `telemetry` sees what it does. */
export function startIndexer(opts: {
  topic: string;
  group: string;
  store: IndexerSink;
  telemetry?: Partial<Telemetry>;
  maxMessageBytes?: number;
  /** Steps between validate and the write (the pattern step). */
  steps?: BatchStep[];
}): Promise<Indexer> {
  const telemetry = { ...noTelemetry, ...opts.telemetry };
  return start({
    consumer: kafkaLogConsumer({
      brokers: BROKERS,
      clientId: "logflow-test-indexer",
      topic: opts.topic,
      groupId: opts.group,
      sessionTimeoutMs: 10_000,
      staleAfterMs: 20_000,
      telemetry,
    }),
    store: opts.store,
    isOutage: isEngineOutage,
    backoff: { initialMs: 50, maxMs: 1_000 },
    slowAfterMs: 1_000,
    telemetry,
    ...(opts.maxMessageBytes ? { maxMessageBytes: opts.maxMessageBytes } : {}),
    ...(opts.steps ? { steps: opts.steps } : {}),
  });
}

/** Poll `check` until it returns true; fail with `what` and the last value seen after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean | { ok: boolean; seen: unknown }>,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen: unknown;
  for (;;) {
    const r = await check().catch((err) => ({ ok: false, seen: String(err) }));
    const ok = typeof r === "boolean" ? r : r.ok;
    if (typeof r !== "boolean") seen = r.seen;
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what} (last seen: ${JSON.stringify(seen)})`);
    await Bun.sleep(everyMs);
  }
}

/** Committed lag of a group on a topic, read from the broker. */
export async function committedLag(topic: string, group: string): Promise<number> {
  const admin = kafkaClient({ brokers: BROKERS, clientId: "logflow-test" }).admin();
  await admin.connect();
  try {
    return await groupLag(admin, group, topic);
  } finally {
    await admin.disconnect();
  }
}

/** Delete the topics a test created (and the dead-letter topic). */
export async function dropTopics(...topics: string[]): Promise<void> {
  const admin = kafkaClient({ brokers: BROKERS, clientId: "logflow-test" }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const gone = topics.flatMap((t) => [t, `${t}.dlq`]).filter((t) => existing.has(t));
    if (gone.length) await admin.deleteTopics({ topics: gone });
  } finally {
    await admin.disconnect();
  }
}

/** Ids stored, per service, in the order the store received them (`seq` attributes must ascend). */
export function recordingStore(inner: IndexerSink) {
  const seqs = new Map<string, number[]>();
  return {
    seqs,
    async write(events: LogEvent[]) {
      const result = await inner.write(events);
      for (const e of events) {
        const list = seqs.get(e.service) ?? [];
        list.push(Number(e.attributes.seq));
        seqs.set(e.service, list);
      }
      return result;
    },
  };
}

/** The state of a consumer group as the broker sees it ("Stable", "Empty", …) and its member count. */
export async function groupState(group: string): Promise<{ state: string; members: number }> {
  const admin = kafkaClient({ brokers: BROKERS, clientId: "logflow-test" }).admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([group]);
    return { state: groups[0]?.state ?? "Unknown", members: groups[0]?.members.length ?? 0 };
  } finally {
    await admin.disconnect();
  }
}

/** `bun run indexer` as its own process, as in the cluster profile; its output goes to `logFile`. */
export function spawnIndexer(env: { databaseUrl: string; topic: string; group: string; logFile: string }) {
  return Bun.spawn(["bun", "workers/bun/indexer.ts"], {
    env: {
      ...process.env,
      DATABASE_URL: env.databaseUrl,
      KAFKA_BROKERS: BROKERS.join(","),
      KAFKA_TOPIC: env.topic,
      KAFKA_GROUP_ID: env.group,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
    },
    stdout: Bun.file(env.logFile),
    stderr: Bun.file(`${env.logFile}.stderr`),
    stdin: "ignore",
  });
}

/**
 * Runs `send` against the suite's app with a producer that is already behind (5 events at most in
 * flight, so a 6-event request overflows it), then checks nothing reached the topic.
 */
export async function withBackedUpProducer(
  t: TestApp,
  topic: string,
  send: (app: ReturnType<typeof createApp>) => Promise<void>,
): Promise<void> {
  const tiny = await KafkaLogQueue.connect({
    brokers: BROKERS,
    clientId: "logflow-test",
    topic,
    maxPending: 5,
  });
  try {
    const before = (await readTopic(BROKERS, topic)).length;
    await send(createApp({ ...t.runtime.deps, queue: tiny }));
    expect((await readTopic(BROKERS, topic)).length).toBe(before);
  } finally {
    await tiny.close();
  }
}
