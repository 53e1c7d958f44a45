/**
 * `bun run bench:search [--events N] [--queries N] [--engine postgres|opensearch] [--json FILE]`
 *
 * p50/p95 of typical searches through the API (a separate LogFlow process, real HTTP) over N events
 * (default 1,000,000, spread over the last 24 h) in real Postgres: text + service + level + last hour,
 * and page 2 by cursor of text + service + last hour (the typical searches: the figures in the JSON),
 * plus broad searches whose exact total counts many thousands of matches (reported beside them).
 * The events are loaded through the store first (loading is not what is measured here).
 *
 * `--engine opensearch`: the same searches with the events in OpenSearch (OPENSEARCH_URL, default the
 * `bun run opensearch:dev` node), under a fresh index prefix removed afterwards; users stay in Postgres.
 *
 * The query language and aggregations (#21), each over the last hour: `field_p95_ms` (a selective
 * attribute equality, `user_id:<one user>`, with a service), `range_p95_ms` (`latency_ms:>500`),
 * `stats_p95_ms` (GET /logs/stats, count by service and level), `percentile_p95_ms` (p95 of latency_ms
 * by service). `tail_latency_ms` comes from `bench:tail` run after it for `--tail-seconds` (default 10;
 * 0 skips it; Postgres only): ingest → SSE delivery, p99.
 */
import { tmpdir } from "node:os";
import { connectPostgres } from "../core/adapters/postgres/connect.ts";
import { PostgresLogStore } from "../core/adapters/postgres/log-store.ts";
import { migrate } from "../core/adapters/postgres/migrate.ts";
import type { SearchEngine } from "../core/adapters/search/backend.ts";
import { SearchLogStore } from "../core/adapters/search/log-store.ts";
import { openSearchEngine } from "../core/adapters/search/opensearch.ts";
import type { LogStore } from "../core/ports/log-store.ts";
import { MIGRATIONS } from "../db/migrations/index.ts";
import {
  flags,
  freshDatabase,
  loadDay,
  machine,
  percentile,
  startServer,
  table,
  writeDay,
  writeJson,
} from "./lib.ts";

const args = flags({
  events: 1_000_000,
  queries: 200,
  keep: false,
  engine: ["postgres", "opensearch"],
  "tail-seconds": 10,
});
const { events: N, queries: Q } = args;

/**
 * loadDay for a search engine: the same generated day of traffic through the store's bulk path (no
 * wait for refresh while loading), then one refresh so that every event is searchable.
 */
async function loadDayInto(
  engine: SearchEngine,
  prefix: string,
  store: LogStore,
  opts: { events: number; seed: number; sampleEvery: number },
): Promise<{ loaded: number; seconds: number; services: Set<string>; words: Map<string, number> }> {
  const started = performance.now();
  const { services, words } = await writeDay(store, opts);
  await engine.transport({ method: "POST", path: `/${prefix}/_refresh` });
  const seconds = (performance.now() - started) / 1000;
  return { loaded: await store.count({}), seconds, services, words };
}

/** bench:tail's p99 (its own database and server, run for `seconds`); null when skipped. */
async function tailLatency(seconds: number): Promise<number | null> {
  if (!(seconds > 0) || args.engine !== "postgres") return null;
  const file = `${tmpdir()}/logflow-bench-tail-${process.pid}.json`;
  const proc = Bun.spawn(
    ["bun", `${import.meta.dir}/tail.ts`, "--seconds", String(seconds), "--json", file],
    {
      stdout: "ignore",
      stderr: "inherit",
    },
  );
  if ((await proc.exited) !== 0) throw new Error("bench:tail failed");
  const out = (await Bun.file(file).json()) as { tail_latency_ms: number };
  await Bun.file(file).delete();
  return out.tail_latency_ms;
}

const OPENSEARCH_URL = process.env.OPENSEARCH_URL ?? "http://127.0.0.1:9200";
const prefix = `logflow-bench-${Date.now().toString(36)}`;
const engine = args.engine === "opensearch" ? openSearchEngine({ url: OPENSEARCH_URL }) : null;

console.log(
  `bench:search on ${machine()}; ${N.toLocaleString("en-US")} events over 24 h in ${
    engine ? `OpenSearch at ${OPENSEARCH_URL}` : "Postgres"
  }\n`,
);
const db = await freshDatabase("logflow_bench_search");
const words = new Map<string, number>();
const services = new Set<string>();
try {
  const sql = connectPostgres(db.url, { max: 2 });
  await migrate(sql, MIGRATIONS);
  const load = { events: N, seed: 11, sampleEvery: 50 };
  const {
    loaded: n,
    seconds,
    services: seen,
    words: counted,
  } = engine
    ? await loadDayInto(
        engine,
        prefix,
        new SearchLogStore(engine, { indexPrefix: prefix, refresh: false }),
        load,
      )
    : await loadDay(sql, new PostgresLogStore(sql), load);
  for (const svc of seen) services.add(svc);
  for (const [w, c] of counted) words.set(w, c);
  const produced = N;
  console.log(`loaded ${n.toLocaleString("en-US")} events in ${seconds.toFixed(1)} s\n`);
  await sql.end();

  // Search terms of middling frequency: common enough to hit, rare enough to be a real search.
  const sampled = produced / 50;
  const terms = [...words.entries()]
    .filter(([, c]) => c / sampled > 0.002 && c / sampled < 0.15)
    .map(([w]) => w)
    .slice(0, 40);
  if (terms.length === 0) throw new Error("no search terms found in the generated messages");
  const svc = [...services];

  const server = await startServer({
    DATABASE_URL: db.url,
    DATABASE_POOL_SIZE: "4",
    ...(engine ? { OPENSEARCH_URL, SEARCH_INDEX_PREFIX: prefix } : {}),
  });
  const timings: Record<string, number[]> = {};
  const counts: Record<string, number> = {};
  const time = async (kind: string, query: string) => {
    const t0 = performance.now();
    const res = await fetch(`${server.url}/api/v1/logs/search?${query}`);
    const body = (await res.json()) as { total: number; next_cursor: string | null };
    const ms = performance.now() - t0;
    if (!res.ok) throw new Error(`${query} → ${res.status} ${JSON.stringify(body)}`);
    timings[kind] = [...(timings[kind] ?? []), ms];
    counts[kind] = (counts[kind] ?? 0) + body.total;
    return body;
  };
  const pick = <T>(xs: T[], i: number) => xs[i % xs.length]!;
  const typical = {
    "text + service + level + 1h": (i: number) =>
      `query=${pick(terms, i)}&service=${pick(svc, i * 7)}&level=ERROR&level=WARNING&since=1h&limit=100`,
    "page 1: text + service + 1h": (i: number) =>
      `query=${pick(terms, i * 5)}&service=${pick(svc, i)}&since=1h&limit=50`,
  };
  const broad = {
    "broad: text + last 1h": (i: number) => `query=${pick(terms, i * 3)}&since=1h&limit=100`,
    "broad: text + last 6h": (i: number) => `query=${pick(terms, i * 5)}&since=6h&limit=50`,
    "broad: service + last 24h": (i: number) => `service=${pick(svc, i)}&since=24h&limit=100`,
  };
  // Users of the last hour, for selective attribute equalities.
  const sample = (await (
    await fetch(`${server.url}/api/v1/logs/search?query=user_id:*&since=1h&limit=1000`)
  ).json()) as { logs: { service: string; attributes: Record<string, unknown> }[] };
  const users = sample.logs.map((l) => ({ user: String(l.attributes.user_id), service: l.service }));
  if (users.length === 0) throw new Error("no events with a user_id in the last hour");
  const q = encodeURIComponent;
  const language = {
    "field: user_id + service + 1h": (i: number) => {
      const u = pick(users, i * 13);
      return `query=${q(`user_id:${u.user} service:${u.service}`)}&since=1h&limit=100`;
    },
    "range: latency_ms:>500 + 1h": () => `query=${q("latency_ms:>500")}&since=1h&limit=100`,
  };
  const aggregations = {
    "stats: count by service, level, 1h": () => "by=service,level&since=1h",
    "percentile: p95(latency_ms) by service, 1h": () => `by=service&agg=${q("p95(latency_ms)")}&since=1h`,
  };
  const timeStats = async (kind: string, query: string) => {
    const t0 = performance.now();
    const res = await fetch(`${server.url}/api/v1/logs/stats?${query}`);
    const body = (await res.json()) as { total: number };
    const ms = performance.now() - t0;
    if (!res.ok) throw new Error(`stats ${query} → ${res.status} ${JSON.stringify(body)}`);
    timings[kind] = [...(timings[kind] ?? []), ms];
    counts[kind] = (counts[kind] ?? 0) + body.total;
  };
  const TYPICAL = new Set([...Object.keys(typical), "page 2 by cursor"]);
  for (let i = 0; i < 20; i++) {
    for (const build of [...Object.values(typical), ...Object.values(broad), ...Object.values(language)])
      await time("warm-up", build(i));
    for (const build of Object.values(aggregations)) await timeStats("warm-up", build());
  }
  delete timings["warm-up"];
  for (let i = 0; i < Q; i++) {
    await time("text + service + level + 1h", typical["text + service + level + 1h"](i));
    const page1 = await time("page 1: text + service + 1h", typical["page 1: text + service + 1h"](i));
    if (page1.next_cursor) {
      await time(
        "page 2 by cursor",
        `${typical["page 1: text + service + 1h"](i)}&cursor=${page1.next_cursor}`,
      );
    }
    for (const [kind, build] of Object.entries(broad)) await time(kind, build(i));
    for (const [kind, build] of Object.entries(language)) await time(kind, build(i));
    for (const [kind, build] of Object.entries(aggregations)) await timeStats(kind, build());
  }
  await server.stop();

  const rows: Record<string, string | number>[] = Object.entries(timings).map(([kind, ms]) => {
    const sorted = [...ms].sort((a, b) => a - b);
    return {
      search: kind,
      runs: ms.length,
      "avg total": Math.round((counts[kind] ?? 0) / ms.length),
      "p50 ms": Math.round(percentile(sorted, 50) * 10) / 10,
      "p95 ms": Math.round(percentile(sorted, 95) * 10) / 10,
      "max ms": Math.round(sorted[sorted.length - 1]! * 10) / 10,
    };
  });
  const summary = (label: string, kinds: string[]) => {
    const ms = kinds.flatMap((k) => timings[k] ?? []).sort((a, b) => a - b);
    const row = {
      search: label,
      runs: ms.length,
      "avg total": "",
      "p50 ms": Math.round(percentile(ms, 50) * 10) / 10,
      "p95 ms": Math.round(percentile(ms, 95) * 10) / 10,
      "max ms": Math.round(ms[ms.length - 1]! * 10) / 10,
    };
    rows.push(row);
    return row;
  };
  const t = summary("typical searches", [...TYPICAL]);
  const b = summary("broad searches", Object.keys(broad));
  table(rows);
  const p95 = (kind: string) => rows.find((r) => r.search === kind)?.["p95 ms"] ?? null;
  const tail = await tailLatency(args["tail-seconds"]);
  if (tail !== null) console.log(`\ntail_latency_ms (bench:tail, p99 ingest → SSE delivery): ${tail}`);
  writeJson(args.json, {
    engine: args.engine,
    events: n,
    p50_ms: t["p50 ms"],
    p95_ms: t["p95 ms"],
    broad_p50_ms: b["p50 ms"],
    broad_p95_ms: b["p95 ms"],
    field_p95_ms: p95("field: user_id + service + 1h"),
    range_p95_ms: p95("range: latency_ms:>500 + 1h"),
    stats_p95_ms: p95("stats: count by service, level, 1h"),
    percentile_p95_ms: p95("percentile: p95(latency_ms) by service, 1h"),
    tail_latency_ms: tail,
    by_search: rows,
  });
} finally {
  if (!args.keep) {
    await db.drop();
    if (engine) {
      await engine.transport({ method: "DELETE", path: `/${prefix}-*` });
      await engine.transport({ method: "DELETE", path: `/_index_template/${prefix}` });
    }
  } else console.log(`kept database ${db.url}${engine ? ` and indices ${prefix}-*` : ""}`);
  await engine?.close();
}
