/**
 * `bun run bench:pipeline [--events N] [--rate R] [--seconds S] [--partitions P] [--json FILE]`
 *
 * The cluster ingestion path on a real Kafka (the dev broker; started when none answers) and a real
 * Postgres, each role in its own process as users run them:
 *   1. collector → Kafka: events/s through POST /api/v1/ingest (batches of 1,000, answered on the ack);
 *   2. the limit: Kafka's own producer perf tool (org.apache.kafka.tools.ProducerPerformance, from the
 *      same jars) on the same broker, with the same settings (acks=all, gzip, idempotent) and the
 *      same payloads (the events as the collector serialises them);
 *   3. Kafka → Postgres: `bun run indexer` draining what step 1 published;
 *   4. ingest-to-searchable latency at a steady R events/s (open loop: requests leave on schedule);
 *   5. the store's own limit: the same events written straight with the LogStore, as the indexer does.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import postgres from "postgres";
import { ensureTopics, groupLag, kafkaClient, pingKafka } from "../core/adapters/kafka/client.ts";
import { connectPostgres } from "../core/adapters/postgres/connect.ts";
import { PostgresLogStore } from "../core/adapters/postgres/log-store.ts";
import { migrate } from "../core/adapters/postgres/migrate.ts";
import { parseLogEvent } from "../core/log-event.ts";
import { MIGRATIONS } from "../db/migrations/index.ts";
import { devBroker, kafkaClasspath, runningPid, startBroker, stopBroker } from "../dev/kafka/broker.ts";
import { createTraffic } from "../stream-jobs/generator/traffic.ts";
import {
  CpuMeter,
  flags,
  freshDatabase,
  machine,
  percentile,
  postIngest,
  ROLE_ENV,
  report,
  startServer,
} from "./lib.ts";

const args = flags({ events: 200_000, rate: 5_000, seconds: 20, partitions: 6, concurrency: 4 });
const {
  events: EVENTS,
  seconds: SECONDS,
  concurrency: CONCURRENCY,
  rate: RATE,
  partitions: PARTITIONS,
} = args;
const BATCH = 1_000;
const ROOT = resolve(import.meta.dir, "..");

const broker = devBroker();
const BROKERS = (process.env.KAFKA_BROKERS ?? broker.bootstrap).split(",");
let startedBroker = false;
if (!(await pingKafka(BROKERS)).ok) {
  console.log(`starting the dev broker on ${broker.bootstrap}…`);
  await startBroker(broker);
  startedBroker = true;
}
const run = Date.now().toString(36);
const topic = `bench-pipeline-${run}`;
const limitTopic = `bench-limit-${run}`;
const group = `bench-indexer-${run}`;
const admin = kafkaClient({ brokers: BROKERS, clientId: "logflow-bench" }).admin();
await admin.connect();
await ensureTopics(admin, [
  { topic, partitions: PARTITIONS },
  { topic: `${topic}.dlq`, partitions: 1 },
  { topic: limitTopic, partitions: PARTITIONS },
]);

function generate(n: number, startMs: number): Record<string, unknown>[] {
  const traffic = createTraffic({ seed: 11, rate: Math.max(100, n / 600), start: startMs });
  return traffic.batch(n) as unknown as Record<string, unknown>[];
}

const db = await freshDatabase("bench_pipeline");
const scratch = mkdtempSync(join(tmpdir(), "logflow-bench-pipeline-"));
const results: Record<string, string | number>[] = [];
const json: Record<string, unknown> = {
  events: EVENTS,
  partitions: PARTITIONS,
  rate: RATE,
  seconds: SECONDS,
};
const server = await startServer({
  DATABASE_URL: db.url,
  KAFKA_BROKERS: BROKERS.join(","),
  KAFKA_TOPIC: topic,
});
let indexer: ReturnType<typeof Bun.spawn> | undefined;
try {
  // 1. collector → Kafka
  const raw = generate(EVENTS, Date.now() - 11 * 60_000);
  const payloads: string[] = [];
  for (let i = 0; i < raw.length; i += BATCH) payloads.push(JSON.stringify(raw.slice(i, i + BATCH)));
  const { seconds: collectorSeconds, refused } = await postIngest(server, payloads, CONCURRENCY);
  const collectorRate = EVENTS / collectorSeconds;

  // 2. the limit: Kafka's producer perf tool, same broker, settings and payloads
  const now = Date.now();
  const serialized = raw.slice(0, 20_000).map((r) => {
    const p = parseLogEvent(r, now);
    if (!p.ok) throw new Error(p.error);
    return JSON.stringify(p.event);
  });
  const avgBytes = Math.round(serialized.reduce((n, s) => n + Buffer.byteLength(s), 0) / serialized.length);
  const payloadFile = join(scratch, "payloads.ndjson");
  writeFileSync(payloadFile, serialized.join("\n"));
  const perf = spawnSync(
    "java",
    [
      "-Xmx512m",
      `-Dlog4j2.configurationFile=${join(ROOT, "dev/kafka/log4j2.properties")}`,
      "-Dlog4j2.level=WARN",
      "-cp",
      kafkaClasspath(broker),
      "org.apache.kafka.tools.ProducerPerformance",
      "--topic",
      limitTopic,
      "--num-records",
      String(EVENTS),
      "--throughput",
      "-1",
      "--payload-file",
      payloadFile,
      "--producer-props",
      `bootstrap.servers=${BROKERS.join(",")}`,
      "acks=all",
      "compression.type=gzip",
      "enable.idempotence=true",
    ],
    { encoding: "utf8" },
  );
  const summary = perf.stdout
    .trim()
    .split("\n")
    .reverse()
    .find((l) => l.includes("records sent"));
  const limitRate = Number(summary?.match(/records sent, ([\d.]+) records\/sec/)?.[1]);
  if (!Number.isFinite(limitRate))
    throw new Error(`ProducerPerformance failed:\n${perf.stdout}\n${perf.stderr}`);

  // 3. Kafka → Postgres: the indexer process drains what the collector published
  const indexerPort = 20000 + Math.floor(Math.random() * 20000);
  const t3 = performance.now();
  indexer = Bun.spawn(["bun", "workers/bun/indexer.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...ROLE_ENV,
      DATABASE_URL: db.url,
      KAFKA_BROKERS: BROKERS.join(","),
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: group,
      PORT: String(indexerPort),
      HOST: "127.0.0.1",
      LOG_LEVEL: "error",
    },
    stdout: "inherit",
    stderr: "inherit",
  });
  const sql = postgres(db.url, { max: 2, onnotice: () => {} });
  // Progress is read from the group's committed offsets, which the indexer commits only after the store
  // write: cheap for the broker, and nothing for Postgres. (Polling count(*) over the growing table took
  // a third of a core from the very database being measured.) The rate counts from the first commit:
  // process start-up and the group join are reported apart.
  let first: { at: number; n: number; cpu: CpuMeter[] } | undefined;
  for (;;) {
    let lag: number;
    try {
      lag = await groupLag(admin, group, topic);
    } catch (err) {
      // A broker just started may not have the group's coordinator yet (NOT_COORDINATOR): kafkajs
      // marks such errors retriable.
      if (!(err as { retriable?: boolean }).retriable) throw err;
      await Bun.sleep(200);
      continue;
    }
    const n = EVENTS - lag;
    if (n > 0 && !first) {
      // Where the CPU goes from here on: the indexer, Postgres (every backend), the broker.
      const cpu = [CpuMeter.of(indexer.pid), CpuMeter.named("postgres"), CpuMeter.of(runningPid(broker))];
      first = { at: performance.now(), n, cpu };
    }
    if (lag === 0) break;
    if (indexer.exitCode !== null) throw new Error("the indexer exited");
    await Bun.sleep(100);
  }
  const indexerStartSeconds = (first!.at - t3) / 1000;
  const indexerRate = (EVENTS - first!.n) / ((performance.now() - first!.at) / 1000);
  const [indexerCpu, postgresCpu, brokerCpu] = first!.cpu.map(
    (m) => (m.seconds() * 1e6) / (EVENTS - first!.n),
  );
  const [stored] = await sql<{ n: number }[]>`select count(*)::int as n from logs`;
  if (stored?.n !== EVENTS)
    throw new Error(`the indexer committed everything but stored ${stored?.n} of ${EVENTS}`);

  // 4. ingest-to-searchable latency at a steady RATE (one marked event per request of RATE/50 events)
  const perRequest = Math.max(1, Math.round(RATE / 50));
  const intervalMs = (perRequest / RATE) * 1000;
  const requests = Math.round((SECONDS * 1000) / intervalMs);
  const steady = generate(requests * perRequest, Date.now() - 60_000);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let failed = 0;
  const inFlight: Promise<void>[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling || sentAt.size > 0) {
      const pending = [...sentAt.keys()];
      if (pending.length) {
        const rows = await sql<{ correlation_id: string }[]>`
          select distinct correlation_id from logs where correlation_id = any(${pending})`;
        const at = performance.now();
        for (const r of rows) {
          latencies.push(at - sentAt.get(r.correlation_id)!);
          sentAt.delete(r.correlation_id);
        }
      }
      await Bun.sleep(10);
    }
  })();
  const t4 = performance.now();
  for (let i = 0; i < requests; i++) {
    const due = t4 + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await Bun.sleep(wait);
    const marker = `bench-latency-${run}-${i}`;
    const body = steady.slice(i * perRequest, (i + 1) * perRequest);
    body[0] = { ...body[0], correlation_id: marker };
    sentAt.set(marker, performance.now());
    inFlight.push(
      fetch(`${server.url}/api/v1/ingest`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${server.token}` },
        body: JSON.stringify(body),
      }).then(async (res) => {
        await res.arrayBuffer();
        if (!res.ok) {
          failed++;
          sentAt.delete(marker);
        }
      }),
    );
  }
  await Promise.all(inFlight);
  const achieved = (requests * perRequest) / ((performance.now() - t4) / 1000);
  polling = false;
  await Promise.race([poller, Bun.sleep(30_000)]);
  latencies.sort((a, b) => a - b);
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  await sql.end();

  // 5. the store's own limit: the same events written straight into a fresh database, as the indexer
  // writes them (batches of 5,000, two writes in flight): what any indexer could reach at best.
  const storeDb = await freshDatabase("bench_pipeline_store");
  const storeSql = connectPostgres(storeDb.url, { max: 4 });
  let storeRate: number;
  let storeWriterCpu = 0;
  let storePostgresCpu = 0;
  try {
    await migrate(storeSql, MIGRATIONS);
    const store = new PostgresLogStore(storeSql);
    const parsedAt = Date.now();
    const events = raw.map((r) => {
      const p = parseLogEvent(r, parsedAt);
      if (!p.ok) throw new Error(p.error);
      return p.event;
    });
    await store.write(events.slice(0, 1)); // the partition, created outside the timing as the indexer's was
    const t5 = performance.now();
    const writerCpu = process.cpuUsage();
    const storePostgres = CpuMeter.named("postgres");
    const writes: Promise<unknown>[] = [];
    for (let i = 1; i < events.length; i += 5_000) {
      writes.push(store.write(events.slice(i, i + 5_000)));
      if (writes.length >= 2) await writes.shift();
    }
    await Promise.all(writes);
    storeRate = (events.length - 1) / ((performance.now() - t5) / 1000);
    const used = process.cpuUsage(writerCpu);
    storeWriterCpu = (used.user + used.system) / (events.length - 1);
    storePostgresCpu = (storePostgres.seconds() * 1e6) / (events.length - 1);
  } finally {
    await storeSql.end();
    await storeDb.drop();
  }

  results.push(
    { measure: "collector → Kafka (HTTP, acked)", value: collectorRate, unit: "events/s", target: "" },
    { measure: "limit: ProducerPerformance", value: limitRate, unit: "events/s", target: "" },
    { measure: "collector_ratio", value: collectorRate / limitRate, unit: "", target: "≥ 0.5" },
    { measure: "indexer: Kafka → Postgres", value: indexerRate, unit: "events/s", target: "≥ 30,000" },
    { measure: "limit: store.write straight", value: storeRate, unit: "events/s", target: "" },
    { measure: "indexer_ratio (to the store)", value: indexerRate / storeRate, unit: "", target: "" },
    { measure: "  CPU/event: indexer process", value: indexerCpu!, unit: "µs", target: "" },
    { measure: "  CPU/event: Postgres", value: postgresCpu!, unit: "µs", target: "" },
    { measure: "  CPU/event: Kafka broker", value: brokerCpu!, unit: "µs", target: "" },
    { measure: "  CPU/event: store straight, writer", value: storeWriterCpu, unit: "µs", target: "" },
    { measure: "  CPU/event: store straight, Postgres", value: storePostgresCpu, unit: "µs", target: "" },
    { measure: `searchable p50 at ${Math.round(achieved)} ev/s`, value: p50, unit: "ms", target: "" },
    { measure: `searchable p99 at ${Math.round(achieved)} ev/s`, value: p99, unit: "ms", target: "≤ 2,000" },
  );
  Object.assign(json, {
    collector_events_per_s: Math.round(collectorRate),
    limit_events_per_s: Math.round(limitRate),
    collector_ratio: Number((collectorRate / limitRate).toFixed(3)),
    indexer_events_per_s: Math.round(indexerRate),
    store_limit_events_per_s: Math.round(storeRate),
    indexer_ratio: Number((indexerRate / storeRate).toFixed(3)),
    cpu_us_per_event: {
      indexer: Number(indexerCpu!.toFixed(1)),
      postgres: Number(postgresCpu!.toFixed(1)),
      broker: Number(brokerCpu!.toFixed(1)),
      store_straight_writer: Number(storeWriterCpu.toFixed(1)),
      store_straight_postgres: Number(storePostgresCpu.toFixed(1)),
    },
    indexer_start_to_first_event_s: Number(indexerStartSeconds.toFixed(2)),
    p50_searchable_ms: Math.round(p50),
    p99_searchable_ms: Math.round(p99),
    steady_events_per_s: Math.round(achieved),
    latency_samples: latencies.length,
    latency_requests_failed: failed,
    collector_503s: refused,
    avg_event_bytes: avgBytes,
    client: "kafkajs 2.2.4",
    broker: "Apache Kafka 4.1.1 (dev/kafka, one node, KRaft)",
  });
} finally {
  indexer?.kill("SIGTERM");
  await indexer?.exited;
  await server.stop();
  await admin.deleteTopics({ topics: [topic, `${topic}.dlq`, limitTopic] }).catch(() => {});
  await admin.disconnect();
  await db.drop();
  rmSync(scratch, { recursive: true, force: true });
  if (startedBroker) await stopBroker(broker);
}

console.log(
  `\nKafka pipeline: ${EVENTS.toLocaleString("en-US")} events, ${PARTITIONS} partitions — ${machine()}\n`,
);
report(args.json, results, json);
