/**
 * `bun run bench:footprint [--events N] [--json FILE]`
 *
 * What one stored event costs each part of LogFlow, for sizing (README "Scaling"): the same generated
 * events (default 50,000, the generator's day of traffic) written
 *  - into Postgres through the store (the indexer's write path): Postgres's CPU per event (from /proc)
 *    and the database's growth per event on disk (tables, indexes, per-minute counts; no WAL);
 *  - into OpenSearch through the store: the node's CPU per event (its own process stats) and the
 *    primary store's size per event after a force-merge to one segment (what a day's index settles to);
 *  - through the collector (`bun run collector`, HTTP ingest answered after Kafka's ack, batches of
 *    1,000 from 4 clients): the collector process's CPU per event.
 * Postgres at LOGFLOW_BENCH_POSTGRES_URL, OpenSearch at OPENSEARCH_URL (default 127.0.0.1:9200) and
 * Kafka at KAFKA_BROKERS (default 127.0.0.1:9092); a part whose engine is absent is skipped.
 */
import { pingKafka } from "../core/adapters/kafka/client.ts";
import { connectPostgres } from "../core/adapters/postgres/connect.ts";
import { PostgresLogStore } from "../core/adapters/postgres/log-store.ts";
import { migrate } from "../core/adapters/postgres/migrate.ts";
import { SearchLogStore } from "../core/adapters/search/log-store.ts";
import { openSearchEngine } from "../core/adapters/search/opensearch.ts";
import { MIGRATIONS } from "../db/migrations/index.ts";
import { createTraffic } from "../stream-jobs/generator/traffic.ts";
import {
  CpuMeter,
  flags,
  freshDatabase,
  postIngest,
  report,
  type Server,
  startServer,
  writeDay,
} from "./lib.ts";

const args = flags({ events: 50_000 });
const { events: N } = args;
const SEED = 7;
const OPENSEARCH = process.env.OPENSEARCH_URL ?? "http://127.0.0.1:9200";
const KAFKA = (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(",");
const rows: { part: string; measure: string; value: number; unit: string }[] = [];
const result: Record<string, number> = {};

// Postgres.
{
  const db = await freshDatabase("bench_footprint");
  const sql = connectPostgres(db.url, { max: 4 });
  try {
    await migrate(sql, MIGRATIONS);
    const size = async () => {
      await sql`checkpoint`.catch(() => {}); // needs superuser; the size is read from files either way
      const [row] = await sql<{ n: string }[]>`select pg_database_size(current_database())::text as n`;
      return Number(row?.n ?? 0);
    };
    const empty = await size();
    const store = new PostgresLogStore(sql);
    const cpu = CpuMeter.named("postgres");
    await writeDay(store, { events: N, seed: SEED, sampleEvery: 1e9 });
    const pgCpu = (cpu.seconds() * 1e6) / N;
    await sql`vacuum analyze`;
    const bytes = (await size()) - empty;
    rows.push(
      { part: "Postgres", measure: "CPU per stored event", value: pgCpu, unit: "µs" },
      { part: "Postgres", measure: "disk per stored event", value: bytes / N, unit: "bytes" },
    );
    result.postgres_cpu_us_per_event = Number(pgCpu.toFixed(1));
    result.postgres_bytes_per_event = Math.round(bytes / N);
  } finally {
    await sql.end({ timeout: 5 });
    await db.drop();
  }
}

// OpenSearch.
if (
  await fetch(OPENSEARCH).then(
    (r) => r.ok,
    () => false,
  )
) {
  const prefix = `logflow-footprint-${Date.now().toString(36)}`;
  const engine = openSearchEngine({ url: OPENSEARCH });
  const nodeCpuMs = async () => {
    const res = (await (await fetch(`${OPENSEARCH}/_nodes/_local/stats/process`)).json()) as {
      nodes: Record<string, { process: { cpu: { total_in_millis: number } } }>;
    };
    return Object.values(res.nodes)[0]?.process.cpu.total_in_millis ?? 0;
  };
  try {
    const store = new SearchLogStore(engine, { indexPrefix: prefix });
    await store.ensureTemplate();
    const before = await nodeCpuMs();
    await writeDay(store, { events: N, seed: SEED, sampleEvery: 1e9 });
    const osCpu = (((await nodeCpuMs()) - before) * 1000) / N;
    await fetch(`${OPENSEARCH}/${prefix}-*/_refresh`, { method: "POST" });
    await fetch(`${OPENSEARCH}/${prefix}-*/_forcemerge?max_num_segments=1`, { method: "POST" });
    const stats = (await (await fetch(`${OPENSEARCH}/${prefix}-*/_stats/store,docs`)).json()) as {
      _all: { primaries: { store: { size_in_bytes: number }; docs: { count: number } } };
    };
    const bytes = stats._all.primaries.store.size_in_bytes;
    rows.push(
      { part: "OpenSearch", measure: "CPU per stored event (whole node)", value: osCpu, unit: "µs" },
      {
        part: "OpenSearch",
        measure: "disk per stored event (primary, merged)",
        value: bytes / N,
        unit: "bytes",
      },
    );
    result.opensearch_cpu_us_per_event = Number(osCpu.toFixed(1));
    result.opensearch_bytes_per_event = Math.round(bytes / N);
  } finally {
    await fetch(`${OPENSEARCH}/${prefix}-*`, { method: "DELETE" }).catch(() => {});
    await fetch(`${OPENSEARCH}/_index_template/${prefix}`, { method: "DELETE" }).catch(() => {});
    await engine.close();
  }
} else console.warn(`[skip] no OpenSearch at ${OPENSEARCH}`);

// The collector.
if ((await pingKafka(KAFKA, 3_000)).ok) {
  const db = await freshDatabase("bench_footprint_collector");
  const topic = `bench-footprint-${Date.now().toString(36)}`;
  let server: Server | undefined;
  try {
    server = await startServer(
      { DATABASE_URL: db.url, KAFKA_BROKERS: KAFKA.join(","), KAFKA_TOPIC: topic },
      "workers/bun/collector.ts",
    );
    const traffic = createTraffic({ seed: SEED, rate: N / 3600, start: Date.now() - 3_600_000 });
    const payloads: string[] = [];
    for (let sent = 0; sent < N; sent += 1000)
      payloads.push(JSON.stringify(traffic.batch(Math.min(1000, N - sent))));
    await postIngest(server, payloads.slice(0, 5), 4); // warm
    const cpu = CpuMeter.of(server.pid);
    const run = await postIngest(server, payloads.slice(5), 4);
    const per = (cpu.seconds() * 1e6) / run.accepted;
    rows.push({
      part: "collector",
      measure: "CPU per ingested event (HTTP → Kafka ack)",
      value: per,
      unit: "µs",
    });
    result.collector_cpu_us_per_event = Number(per.toFixed(1));
  } finally {
    await server?.stop();
    const { kafkaClient } = await import("../core/adapters/kafka/client.ts");
    const admin = kafkaClient({ brokers: KAFKA, clientId: "bench-footprint" }).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, `${topic}.dlq`] }).catch(() => {});
    await admin.disconnect();
    await db.drop();
  }
} else console.warn(`[skip] no Kafka at ${KAFKA.join(",")}`);

report(args.json, rows, { events: N, ...result });
process.exit(0);
