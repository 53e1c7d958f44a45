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
 */
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
  events: { type: "string", default: "1000000" },
  queries: { type: "string", default: "200" },
  keep: { type: "boolean", default: false },
  engine: { type: "string", default: "postgres" },
});
const N = Number(args.events);
const Q = Number(args.queries);
if (args.engine !== "postgres" && args.engine !== "opensearch") {
  throw new Error(`--engine must be postgres or opensearch, not ${args.engine}`);
}

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
  const TYPICAL = new Set([...Object.keys(typical), "page 2 by cursor"]);
  for (let i = 0; i < 20; i++)
    for (const build of [...Object.values(typical), ...Object.values(broad)]) await time("warm-up", build(i));
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
  writeJson(args.json, {
    engine: args.engine,
    events: n,
    p50_ms: t["p50 ms"],
    p95_ms: t["p95 ms"],
    broad_p50_ms: b["p50 ms"],
    broad_p95_ms: b["p95 ms"],
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
