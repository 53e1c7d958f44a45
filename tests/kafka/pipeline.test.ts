/**
 * The cluster ingestion path against a real Kafka and a real Postgres: collector queue → topic →
 * indexer → store. Each test has its own database, topic and consumer group.
 */
import { afterEach, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { dlqTopic } from "../../core/adapters/kafka/queue.ts";
import { produceRaw, readTopic } from "../../core/adapters/kafka/raw.ts";
import { PostgresPatternRepo } from "../../core/adapters/postgres/pattern-repo.ts";
import { PatternAssigner } from "../../core/patterns/assigner.ts";
import { EventsRejectedError } from "../../core/ports/log-store.ts";
import type { Indexer } from "../../stream-jobs/indexer/indexer.ts";
import { patternStep } from "../../stream-jobs/indexer/steps/patterns.ts";
import { isEngineOutage } from "../../workers/outage.ts";
import { kafkaReachable, POSTGRES_ADMIN_URL, postgresReachable } from "../helpers/engines.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";
import {
  BROKERS,
  committedLag,
  connectQueue,
  dropTopics,
  freshDb,
  freshNames,
  makeEvents,
  publishAll,
  recordingStore,
  startIndexer,
  type TestDb,
  waitFor,
} from "./harness.ts";

integrationTimeouts();

const enabled = (await kafkaReachable()) && (await postgresReachable());

/** What each test started, torn down after it whatever happened. */
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => {});
});

async function setup(prefix: string, partitions = 4) {
  const names = freshNames(prefix);
  const db = await freshDb();
  cleanup.push(() => db.close());
  const queue = await connectQueue(names.topic, partitions);
  cleanup.push(() => dropTopics(names.topic));
  cleanup.push(() => queue.close());
  return { ...names, db, queue };
}

async function indexer(opts: Parameters<typeof startIndexer>[0]): Promise<Indexer> {
  const ix = await startIndexer(opts);
  cleanup.push(() => ix.stop());
  return ix;
}

async function storedIds(db: TestDb): Promise<string[]> {
  const rows = await db.sql<{ id: string }[]>`select id::text as id from logs`;
  return rows.map((r) => r.id);
}

describe.skipIf(!enabled)("Kafka pipeline (real broker, real Postgres)", () => {
  test("every published event is stored exactly once, each service's events in publish order", async () => {
    const { topic, group, db, queue } = await setup("pipeline");
    const events = makeEvents(6_000, ["checkout", "payment", "auth", "search", "email"]);
    const store = recordingStore(db.store);
    const ix = await indexer({ topic, group, store });

    await publishAll(queue, events, 100, 4);
    await waitFor("all events stored", async () => ({
      ok: (await db.count()) === events.length,
      seen: await db.count(),
    }));

    expect((await storedIds(db)).sort()).toEqual(events.map((e) => e.id).sort());
    for (const [service, seqs] of store.seqs) {
      const n = events.filter((e) => e.service === service).length;
      expect({ service, seqs }).toEqual({ service, seqs: Array.from({ length: n }, (_, i) => i) });
    }
    await waitFor("lag 0 once everything is committed", async () => (await ix.readLag()) === 0);
    expect(ix.status().status).toBe("healthy");
  });

  test("events keep their microseconds through the topic and the indexer, ordered by them", async () => {
    const { topic, group, db, queue } = await setup("micros", 1);
    await indexer({ topic, group, store: db.store });
    const base = makeEvents(3, ["micros"]);
    const second = new Date(Math.floor((Date.now() - 60_000) / 1000) * 1000).toISOString().slice(0, 19);
    const times = [`${second}.123999Z`, `${second}.123456Z`, `${second}.123Z`];
    // Published oldest time last: only the timestamps put them in order.
    const events = base.map((e, i) => ({ ...e, timestamp: times[i]! }));
    await queue.publish(events);
    await waitFor("the events stored", async () => (await db.count()) === events.length);
    const page = await db.store.search({ services: ["micros"], limit: 10 });
    expect(page.logs.map((e) => e.timestamp)).toEqual(times);
  });

  test("two indexers give every event its pattern id; one id per template, with the templates stored", async () => {
    const { topic, group, db, queue } = await setup("patterns");
    const services = ["checkout", "payment", "auth", "search", "email"];
    const events = makeEvents(3_000, services);
    const repo = new PostgresPatternRepo(db.sql);
    const assigners = ["indexer-a", "indexer-b"].map((node) => new PatternAssigner({ repo, node }));
    for (const a of assigners) {
      await indexer({ topic, group, store: db.store, steps: [patternStep(a, isEngineOutage)] });
    }
    await publishAll(queue, events, 100, 4);
    await waitFor("all events stored", async () => ({
      ok: (await db.count()) === events.length,
      seen: await db.count(),
    }));
    for (const a of assigners) await a.flush();
    const [row] = await db.sql<{ ids: number; missing: number }[]>`
      select count(distinct pattern)::int as ids, count(*) filter (where pattern is null)::int as missing from logs`;
    // `event <n> of <service>`: one template per service.
    expect(row).toEqual({ ids: services.length, missing: 0 });
    const stored = await db.sql<{ service: string; template: string; count: string }[]>`
      select service, template, count from patterns order by service`;
    expect(stored.map((r) => [r.service, r.template])).toEqual(
      [...services].sort().map((s) => [s, `event <*> of ${s}`]),
    );
    expect(stored.reduce((n, r) => n + Number(r.count), 0)).toBe(events.length);
  });

  test("poison messages go to the dead-letter topic with their reasons; the good ones of the batch are indexed", async () => {
    const { topic, group, db, queue } = await setup("poison", 1);
    const good = makeEvents(200, ["api"]);
    const [valid] = makeEvents(1, ["api"]);
    const oversized = JSON.stringify({ ...valid!, id: crypto.randomUUID(), message: "x".repeat(100_000) });
    // Good and bad interleaved on one partition, so they arrive in the same batches.
    await queue.publish(good.slice(0, 100));
    await produceRaw(BROKERS, topic, [
      { key: "api", value: "this is not JSON {" },
      { key: "api", value: JSON.stringify({ service: "api", message: "no id, no level, no timestamp" }) },
      { key: "api", value: oversized },
      { key: "api", value: null },
    ]);
    await queue.publish(good.slice(100));

    const deadLettered: string[] = [];
    await indexer({
      topic,
      group,
      store: db.store,
      maxMessageBytes: 64 * 1024,
      telemetry: { indexerDeadLettered: (k) => deadLettered.push(k) },
    });

    await waitFor("good events stored and lag 0", async () => ({
      ok: (await db.count()) === good.length && (await committedLag(topic, group)) === 0,
      seen: await db.count(),
    }));
    expect((await storedIds(db)).sort()).toEqual(good.map((e) => e.id).sort());

    const dlq = await readTopic(BROKERS, dlqTopic(topic));
    const reasons = dlq.map((m) => m.headers["logflow-dlq-reason"] ?? "");
    expect(reasons).toHaveLength(4);
    expect(reasons[0]).toStartWith("not JSON");
    expect(reasons[1]).toStartWith("invalid event:");
    expect(reasons[1]).toContain("id");
    expect(reasons[2]).toStartWith("oversized:");
    expect(reasons[3]).toBe("empty message");
    expect(dlq[0]!.value?.toString()).toBe("this is not JSON {");
    expect(dlq.map((m) => m.headers["logflow-source-topic"])).toEqual([topic, topic, topic, topic]);
    expect(dlq.map((m) => Number(m.headers["logflow-source-offset"]))).toEqual([100, 101, 102, 103]);
    expect(deadLettered.sort()).toEqual(["empty message", "invalid event", "not JSON", "oversized"]);
  });

  test("events the store refuses for good are dead-lettered with its reason; the rest are indexed", async () => {
    const { topic, group, db, queue } = await setup("refused", 1);
    const events = makeEvents(50, ["api"]);
    const refusedIds = new Set(events.filter((_, i) => i % 10 === 3).map((e) => e.id));
    // A search engine refuses single events (a mapping error); Postgres never does, so this store
    // writes the rest through the real Postgres store and refuses those, as the Elasticsearch store does.
    const refusing = Object.create(db.store) as typeof db.store;
    refusing.write = async (batch) => {
      const kept = batch.filter((e) => !refusedIds.has(e.id));
      const result = await db.store.write(kept);
      const rejected = batch
        .filter((e) => refusedIds.has(e.id))
        .map((e) => ({ id: e.id, status: 400, type: "document_parsing_exception", reason: "bad field" }));
      if (rejected.length) throw new EventsRejectedError(result.written, result.duplicates, rejected);
      return result;
    };
    await queue.publish(events);
    await indexer({ topic, group, store: refusing });

    await waitFor("kept events stored and lag 0", async () => ({
      ok: (await db.count()) === events.length - refusedIds.size && (await committedLag(topic, group)) === 0,
      seen: await db.count(),
    }));
    expect((await storedIds(db)).sort()).toEqual(
      events
        .filter((e) => !refusedIds.has(e.id))
        .map((e) => e.id)
        .sort(),
    );
    const dlq = await readTopic(BROKERS, dlqTopic(topic));
    expect(dlq.map((m) => (JSON.parse(m.value!.toString()) as { id: string }).id).sort()).toEqual(
      [...refusedIds].sort(),
    );
    for (const m of dlq) {
      expect(m.headers["logflow-dlq-reason"]).toBe(
        "rejected by the store: 400 document_parsing_exception: bad field",
      );
    }
  });

  test("a fault (a TypeError, not an outage) stops the indexer loudly: not retried, nothing committed", async () => {
    const { topic, group, db, queue } = await setup("fault", 1);
    const events = makeEvents(20, ["api"]);
    let writes = 0;
    const faulty = {
      async write(batch: unknown[]): Promise<never> {
        writes++;
        // A bug in LogFlow, as a store adapter could have one: retrying it for ever would hide it.
        return (batch as unknown as { length: { toFixed(): never } }[])[0]!.length.toFixed();
      },
    };
    await queue.publish(events);
    const ix = await indexer({ topic, group, store: faulty });
    expect(
      await ix.done.then(
        () => null,
        (err: unknown) => err,
      ),
    ).toBeInstanceOf(TypeError);
    expect(writes).toBe(1);
    expect(ix.status().status).toBe("unhealthy");
    expect(await committedLag(topic, group)).toBe(events.length);
    expect(await db.count()).toBe(0);
  });

  // Several 30 s waits around the outage: a stuck indexer is reported by the wait that saw it, not by the runner.
  test("store down for a while: the indexer waits and commits nothing, then catches up without loss", async () => {
    const { topic, group, db, queue } = await setup("outage", 2);
    let retries = 0;
    const ix = await indexer({
      topic,
      group,
      store: db.store,
      telemetry: { indexerRetried: () => retries++ },
    });
    const first = makeEvents(500, ["a", "b", "c"]);
    await publishAll(queue, first);
    await waitFor("first events stored", async () => (await db.count()) === first.length);
    await waitFor("first events committed", async () => (await committedLag(topic, group)) === 0);

    const admin = postgres(POSTGRES_ADMIN_URL, { max: 1, onnotice: () => {} });
    cleanup.push(() => admin.end());
    const allow = (on: boolean) => admin.unsafe(`alter database ${db.name} with allow_connections ${on}`);
    cleanup.push(() => allow(true));
    await allow(false);
    await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${db.name}`;

    const second = makeEvents(1_500, ["a", "b", "c"]);
    await publishAll(queue, second); // Kafka acks them: the outage is the store's, not the queue's
    await waitFor(
      "the indexer retrying the store",
      async () => ({ ok: retries >= 5, seen: retries }),
      30_000,
    );
    expect(ix.status().status).toBe("degraded");
    expect(ix.status().storeFailingSince).not.toBeNull();
    expect(await committedLag(topic, group)).toBe(second.length);

    await allow(true);
    await waitFor(
      "catch-up after the outage",
      async () => ({ ok: (await db.count()) === first.length + second.length, seen: await db.count() }),
      30_000,
    );
    expect((await storedIds(db)).sort()).toEqual([...first, ...second].map((e) => e.id).sort());
    await waitFor("everything committed", async () => (await committedLag(topic, group)) === 0);
    expect(ix.status().status).toBe("healthy");
  }, 120_000);

  test("a store write that does not answer counts as failing while the indexer waits for it; nothing is committed meanwhile", async () => {
    const { topic, group, db, queue } = await setup("silent", 1);
    const events = makeEvents(100, ["api"]);
    // postgres.js queues a query while no connection can open rather than failing it (a database that
    // refuses connections does this to one query in a few): the write neither succeeds nor fails.
    let answer = () => {};
    const silent = Object.create(db.store) as typeof db.store;
    silent.write = async (batch) => {
      await new Promise<void>((resolve) => {
        answer = resolve;
      });
      return db.store.write(batch);
    };
    let retries = 0;
    await queue.publish(events);
    const ix = await indexer({ topic, group, store: silent, telemetry: { indexerRetried: () => retries++ } });
    await waitFor("the silent write counted as failing", async () => ({ ok: retries >= 2, seen: retries }));
    expect(ix.status()).toMatchObject({ status: "degraded", storeFailingSince: expect.any(Number) });
    expect(await committedLag(topic, group)).toBe(events.length);

    answer();
    await waitFor("stored and committed", async () => (await committedLag(topic, group)) === 0);
    expect(await db.count()).toBe(events.length);
    expect(ix.status().status).toBe("healthy");
  });

  test("two indexers in one group share the partitions; rebalances while busy lose and duplicate nothing", async () => {
    const { topic, group, db, queue } = await setup("group", 6);
    const services = Array.from({ length: 12 }, (_, i) => `svc-${i}`);
    const events = makeEvents(12_000, services);
    const parts = { a: new Set<number>(), b: new Set<number>() };
    const indexed = { a: 0, b: 0 };
    const telemetry = (who: "a" | "b") => ({
      indexerBatch: ({ partition }: { partition: number }) => parts[who].add(partition),
      indexerStored: (n: number) => {
        indexed[who] += n;
      },
    });
    const a = await indexer({ topic, group, store: db.store, telemetry: telemetry("a") });
    // Publish steadily in the background while the group changes under it.
    const publishing = publishAll(queue, events, 20, 1);
    await waitFor("indexer A busy", async () => indexed.a > 0);

    const b = await indexer({ topic, group, store: db.store, telemetry: telemetry("b") });
    await waitFor(
      "indexer B given partitions and busy",
      async () => ({ ok: indexed.b > 0, seen: indexed }),
      30_000,
    );
    const aBefore = indexed.a;
    await waitFor("both indexers busy at once", async () => indexed.a > aBefore, 30_000);

    await a.stop(); // A leaves mid-stream: B must take over A's partitions from A's last commit
    await publishing;
    await waitFor(
      "all events stored",
      async () => ({ ok: (await db.count()) === events.length, seen: await db.count() }),
      60_000,
    );
    await waitFor("lag 0", async () => (await b.readLag()) === 0);

    expect((await storedIds(db)).sort()).toEqual(events.map((e) => e.id).sort());
    expect(parts.a.size).toBeGreaterThan(0);
    expect(parts.b.size).toBeGreaterThan(0);
    // After A left, B consumed partitions A had held.
    expect([...parts.a].some((p) => parts.b.has(p))).toBe(true);
  }, 90_000);
});
