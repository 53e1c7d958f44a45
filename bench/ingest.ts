/**
 * `bun run bench:ingest [--events N] [--pglite-events N] [--concurrency C] [--without-attribute-index]
 *   [--without-indexes NAME[,NAME]] [--json FILE]`
 *
 * Events/s through POST /api/v1/ingest (batches of 1,000, a separate LogFlow process, real HTTP) into
 * real Postgres and into PGlite, against the limit of the engine underneath measured in the same run:
 * the same rows bulk-loaded straight into the same database (COPY into Postgres; the store's own
 * multi-row insert into PGlite, which takes no COPY over its socket).
 *
 * `--without-attribute-index` drops migration 8's GIN index over attributes from the Postgres database
 * before ingesting: run with and without it to see what that index costs at ingest. `--without-indexes`
 * drops the named indexes of `logs` the same way (e.g. the three added since 2026-11-29:
 * `logs_attributes_idx,logs_pattern_ts_idx,logs_arrival_idx`), to compare the rest of the write path
 * with older code on the same schema. Postgres only: the embedded database is not altered.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import postgres from "postgres";
import { openEmbeddedDatabase } from "../core/adapters/pglite/open.ts";
import { EMBEDDED_STORE_OPTIONS, PostgresLogStore } from "../core/adapters/postgres/log-store.ts";
import { type LogEvent, parseLogEvent } from "../core/log-event.ts";
import { tsvectorText } from "../core/search-text.ts";
import {
  flags,
  freshDatabase,
  jsonBodies,
  machine,
  postIngest,
  recentTraffic,
  report,
  type Server,
  startServer,
} from "./lib.ts";

const args = flags({
  events: 200_000,
  "pglite-events": 100_000,
  concurrency: 4,
  batch: 1_000,
  "without-attribute-index": false,
  "without-indexes": undefined,
});
const dropped = [
  ...(args["without-attribute-index"] ? ["logs_attributes_idx"] : []),
  ...(args["without-indexes"]?.split(",").filter(Boolean) ?? []),
];
const { concurrency: CONCURRENCY, batch: BATCH } = args;

const generate = recentTraffic;
const bodies = (events: unknown[]) => jsonBodies(events, BATCH);

const sendAll = (server: Server, payloads: string[]) => postIngest(server, payloads, CONCURRENCY);

function rows(events: unknown[]): LogEvent[] {
  const now = Date.now();
  return events.map((e) => {
    const r = parseLogEvent(e, now);
    if (!r.ok) throw new Error(r.error);
    return r.event;
  });
}

const esc = (v: string | null) =>
  v === null
    ? "\\N"
    : v.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");

async function copyInto(url: string, events: LogEvent[]): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  await sql`truncate logs`;
  const started = performance.now();
  // The full-text column is the writer's to fill (core/search-text.ts), here as in the store.
  const writable = await sql`copy logs (id, ts, received_at, service, level, message, host, correlation_id,
    request_id, trace_id, span_id, attributes, search) from stdin`.writable();
  function* lines() {
    let chunk = "";
    for (const e of events) {
      chunk += `${[e.id, e.timestamp, e.received_at, e.service, e.level, e.message, e.host, e.correlation_id, e.request_id, e.trace_id, e.span_id, JSON.stringify(e.attributes), tsvectorText(e.service, e.message)].map(esc).join("\t")}\n`;
      if (chunk.length > 1 << 20) {
        yield chunk;
        chunk = "";
      }
    }
    if (chunk) yield chunk;
  }
  await pipeline(Readable.from(lines()), writable);
  const seconds = (performance.now() - started) / 1000;
  const [{ n }] = (await sql`select count(*)::int as n from logs`) as unknown as [{ n: number }];
  await sql.end();
  if (n !== events.length) throw new Error(`COPY stored ${n} of ${events.length}`);
  return seconds;
}

async function multiRowInto(dir: string, events: LogEvent[]): Promise<number> {
  const db = await openEmbeddedDatabase(dir);
  await db.sql`truncate logs`;
  const store = new PostgresLogStore(db.sql, EMBEDDED_STORE_OPTIONS);
  const started = performance.now();
  for (let i = 0; i < events.length; i += 5000) await store.write(events.slice(i, i + 5000));
  const seconds = (performance.now() - started) / 1000;
  await db.close();
  return seconds;
}

console.log(`bench:ingest on ${machine()}; batches of ${BATCH}, ${CONCURRENCY} concurrent clients\n`);
const results: Record<string, string | number>[] = [];
const json: Record<string, unknown> = { batch: BATCH, concurrency: CONCURRENCY };

/**
 * One target's row and JSON figures: the API's rate against the engine's own bulk-load rate (the
 * limit, `limitSeconds` for the same events), `limitHow` naming the load when it is not COPY.
 */
function record(
  target: string,
  jsonPrefix: string,
  n: number,
  api: { accepted: number; seconds: number },
  limitSeconds: number,
  limitHow?: string,
) {
  if (api.accepted !== n) throw new Error(`accepted ${api.accepted} of ${n}`);
  const eps = n / api.seconds;
  const limit = n / limitSeconds;
  results.push({
    target,
    events: n,
    "API s": api.seconds,
    "API events/s": Math.round(eps),
    "limit: COPY events/s": limitHow
      ? `${Math.round(limit).toLocaleString("en-US")} (${limitHow})`
      : Math.round(limit),
    ratio: Math.round((eps / limit) * 100) / 100,
  });
  Object.assign(json, {
    [`${jsonPrefix}events`]: n,
    [`${jsonPrefix}events_per_s`]: Math.round(eps),
    [`${jsonPrefix}limit_events_per_s`]: Math.round(limit),
    [`${jsonPrefix}ratio`]: Math.round((eps / limit) * 1000) / 1000,
  });
}

// Postgres server
{
  const n = args.events;
  const events = generate(n);
  const payloads = bodies(events);
  const db = await freshDatabase("logflow_bench_ingest");
  try {
    const server = await startServer({ DATABASE_URL: db.url });
    if (dropped.length > 0) {
      const sql = postgres(db.url, { max: 1, onnotice: () => {} });
      // Without "if exists": a misspelt name is an error, not a run that measured something else.
      for (const name of dropped) await sql`drop index ${sql(name)}`;
      await sql.end();
    }
    json.attribute_index = !dropped.includes("logs_attributes_idx");
    json.dropped_indexes = dropped;
    await sendAll(server, bodies(generate(5000))); // warm-up: JIT, partitions, plans
    const api = await sendAll(server, payloads);
    await server.stop();
    record("Postgres 15 (DATABASE_URL)", "", n, api, await copyInto(db.url, rows(events)));
  } finally {
    await db.drop();
  }
}

// Embedded PGlite
{
  const n = args["pglite-events"];
  const events = generate(n);
  const dir = mkdtempSync(join(tmpdir(), "logflow-bench-pglite-"));
  try {
    const server = await startServer({ LOGFLOW_DATA_DIR: dir });
    await sendAll(server, bodies(generate(5000)));
    const api = await sendAll(server, bodies(events));
    await server.stop();
    record("PGlite (embedded)", "pglite_", n, api, await multiRowInto(dir, rows(events)), "multi-row insert");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

report(args.json, results, json);
