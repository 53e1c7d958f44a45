/**
 * `bun run bench:tail [--profile postgres|cluster] [--seconds S] [--rate N] [--tails N] [--json FILE]`
 *
 * The live tail's latency from ingest to delivery: a marker event is shipped every 100 ms through
 * POST /api/v1/ingest while background traffic flows (`--rate` events/s, default 2,000) and `--tails`
 * other tails (default 20, with assorted queries) are open; each marker's time from just before its
 * POST until a tail over a real socket delivers it is one sample. Reported: p50, p99 (`tail_latency_ms`,
 * the key `bench:search` reports) and max, with markers lost or delivered twice (both must be 0), and
 * the p99 from the ingest answer to delivery (what the tail adds to the ingest's own time).
 *
 * `postgres` (default): the API in its own process, writing to a fresh database on the Postgres server.
 * `cluster`: the API publishes to Kafka (KAFKA_BROKERS, default 127.0.0.1:9092) and an indexer process
 * writes to Postgres: the tail sees what another process stored.
 */
import { resolve } from "node:path";
import type { Subprocess } from "bun";
import { createTraffic } from "../stream-jobs/generator/traffic.ts";
import { SseParser } from "../web/src/data/tail.ts";
import { flags, freshDatabase, percentile, ROLE_ENV, report, type Server, startServer } from "./lib.ts";

const args = flags({ profile: ["postgres", "cluster"], seconds: 30, rate: 2_000, tails: 20 });
const { seconds: SECONDS, tails: TAILS, rate: RATE } = args;
const MARKER_EVERY_MS = 100;
const MARKER = "bench-tail-marker";
/** What the other tails follow: a mix of the query language's kinds of terms. */
const QUERIES = ["level:error", "service:checkout", "timeout", "latency_ms:>250", "-level:debug", ""];
const run = Date.now().toString(36);

/** Follow a tail over HTTP, handing each event's JSON text on; resolves when it ends. */
async function follow(server: Server, query: string, onData: (data: string) => void, signal: AbortSignal) {
  const res = await fetch(`${server.url}/api/v1/logs/tail?${new URLSearchParams({ query })}`, {
    headers: { authorization: `Bearer ${server.token}` },
    signal,
  });
  if (res.status !== 200 || !res.body) throw new Error(`tail answered ${res.status}: ${await res.text()}`);
  const parser = new SseParser();
  try {
    for await (const chunk of res.body) {
      for (const item of parser.push(chunk)) if (item.type === "message") onData(item.data);
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
}

async function ship(server: Server, body: string): Promise<void> {
  const res = await fetch(`${server.url}/api/v1/ingest`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${server.token}` },
    body,
  });
  if (!res.ok) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
}

const db = await freshDatabase("bench_tail");
let indexer: Subprocess | undefined;
let server: Server | undefined;
const stop = new AbortController();
try {
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    // One benchmark client holds every tail.
    TAIL_MAX_PER_USER: String(TAILS + 1),
  };
  if (args.profile === "cluster") {
    Object.assign(env, {
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? "127.0.0.1:9092",
      KAFKA_TOPIC: `bench-tail-${run}`,
      KAFKA_GROUP_ID: `bench-tail-${run}`,
    });
  }
  server = await startServer(env);
  if (args.profile === "cluster") {
    // After the API: it has migrated the database and created the topic.
    indexer = Bun.spawn(["bun", "workers/bun/indexer.ts"], {
      cwd: resolve(import.meta.dir, ".."),
      env: { ...process.env, ...ROLE_ENV, ...env, PORT: "0", LOG_LEVEL: "error", HOST: "127.0.0.1" },
      stdout: "inherit",
      stderr: "inherit",
    });
  }
  const srv = server;

  let background = 0;
  const others = Array.from({ length: TAILS }, (_, i) =>
    follow(srv, QUERIES[i % QUERIES.length]!, () => background++, stop.signal),
  );

  const sentAt = new Map<number, number>();
  const ackedAt = new Map<number, number>();
  const latencies: number[] = [];
  const afterAck: number[] = [];
  let repeated = 0;
  const seen = new Set<number>();
  const marker = follow(
    srv,
    `service:${MARKER}`,
    (data) => {
      const seq = Number((JSON.parse(data) as { message: string }).message);
      if (seen.has(seq)) repeated++;
      seen.add(seq);
      const now = performance.now();
      const at = sentAt.get(seq);
      if (at !== undefined) latencies.push(now - at);
      const acked = ackedAt.get(seq);
      if (acked !== undefined) afterAck.push(Math.max(0, now - acked));
    },
    stop.signal,
  );
  await Bun.sleep(1_000);

  // Background traffic, released every 250 ms at RATE events/s.
  const traffic = createTraffic({ seed: 7, rate: RATE });
  let shipped = 0;
  const until = Date.now() + SECONDS * 1000;
  const load = (async () => {
    while (Date.now() < until) {
      const events = traffic.next();
      // Behind (a slow ingest under load), several requests' worth has piled up: at most 5,000 a request.
      for (let i = 0; i < events.length; i += 5_000) {
        const part = events.slice(i, i + 5_000);
        await ship(srv, JSON.stringify(part));
        shipped += part.length;
      }
      await Bun.sleep(250);
    }
  })();
  let seq = 0;
  const markers = (async () => {
    while (Date.now() < until) {
      const n = seq++;
      sentAt.set(n, performance.now());
      await ship(srv, JSON.stringify({ service: MARKER, message: String(n) }));
      ackedAt.set(n, performance.now());
      await Bun.sleep(MARKER_EVERY_MS);
    }
  })();
  await Promise.all([load, markers]);
  // Stragglers.
  const deadline = Date.now() + 10_000;
  while (seen.size < seq && Date.now() < deadline) await Bun.sleep(100);
  stop.abort();
  await Promise.allSettled([marker, ...others]);

  const sorted = latencies.toSorted((a, b) => a - b);
  const acked = afterAck.toSorted((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  const row = {
    profile: args.profile,
    tails: TAILS + 1,
    "background ev/s": Math.round(shipped / SECONDS),
    markers: seq,
    lost: seq - seen.size,
    repeated,
    "p50 ms": round(percentile(sorted, 50)),
    "p99 ms": round(percentile(sorted, 99)),
    "max ms": round(sorted.at(-1) ?? Number.NaN),
    // A marker delivered before its ingest answer arrived counts 0 here.
    "p99 after ack ms": round(percentile(acked, 99)),
  };
  console.log(`(the other tails received ${background.toLocaleString("en-US")} events between them)\n`);
  report(args.json, [row], {
    profile: args.profile,
    tail_latency_ms: row["p99 ms"],
    tail_latency_p50_ms: row["p50 ms"],
    tail_latency_max_ms: row["max ms"],
    tail_after_ack_p99_ms: row["p99 after ack ms"],
    markers: seq,
    lost: row.lost,
    repeated,
    tails: TAILS + 1,
    background_events_per_s: row["background ev/s"],
  });
} finally {
  stop.abort();
  indexer?.kill("SIGTERM");
  await indexer?.exited;
  await server?.stop();
  await db.drop();
}
