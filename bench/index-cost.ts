/**
 * `bun run bench:index-cost [--events N] [--rounds R] [--json FILE]`
 *
 * What each index of `logs` costs Postgres per stored event. N generated events (bench:ingest's
 * traffic, with their pattern ids from the real miner) are written through the store into a freshly
 * migrated database, then copied `INSERT … SELECT` into a plain table made `LIKE logs INCLUDING ALL`:
 * once with every index the migrations create, and once without each index in turn. The figure is the
 * Postgres backend's own CPU time per row (user + system from /proc), which a shared machine's swinging
 * load disturbs far less than wall-clock time; the variants take turns for R rounds and the medians are
 * compared. The index set is read from the database, so a new migration's index shows up by itself.
 */
import postgres from "postgres";
import { PostgresLogStore } from "../core/adapters/postgres/log-store.ts";
import { migrate } from "../core/adapters/postgres/migrate.ts";
import { parseLogEvent } from "../core/log-event.ts";
import { PatternAssigner } from "../core/patterns/assigner.ts";
import { MIGRATIONS } from "../db/migrations/index.ts";
import { createTraffic } from "../stream-jobs/generator/traffic.ts";
import { CpuMeter, flags, freshDatabase, machine, report } from "./lib.ts";

const args = flags({ events: 100_000, rounds: 3 });
const N = args.events;

console.log(`bench:index-cost on ${machine()}; ${N.toLocaleString("en-US")} events, ${args.rounds} rounds\n`);
const db = await freshDatabase("logflow_bench_index_cost");
const sql = postgres(db.url, { max: 1, onnotice: () => {} });
try {
  await migrate(sql, MIGRATIONS);
  const traffic = createTraffic({ seed: 7, rate: Math.max(100, N / 600), start: Date.now() - 11 * 60_000 });
  const now = Date.now();
  const events = (traffic.batch(N) as unknown[]).map((e) => {
    const r = parseLogEvent(e, now);
    if (!r.ok) throw new Error(r.error);
    return r.event;
  });
  const assigner = new PatternAssigner({ node: "bench" });
  const store = new PostgresLogStore(sql);
  for (let i = 0; i < N; i += 1000) {
    const batch = events.slice(i, i + 1000);
    await assigner.assign(batch);
    await store.write(batch);
  }
  await sql`create table src as select * from logs`;

  // The indexes as the migrations made them (on the partitioned parent: `ONLY logs`).
  const indexes = await sql<{ name: string; def: string }[]>`
    select indexname as name, indexdef as def from pg_indexes where tablename = 'logs' order by indexname`;
  const onT = (def: string) =>
    def.replace(/ ON ONLY public\.logs /, " ON t ").replace(/INDEX \S+ ON/, "INDEX ON");
  const variants: [string, string[]][] = [
    ["every index", indexes.map((i) => onT(i.def))],
    ...indexes.map((x): [string, string[]] => [
      `without ${x.name}`,
      indexes.filter((i) => i !== x).map((i) => onT(i.def)),
    ]),
  ];
  const [{ pid }] = (await sql`select pg_backend_pid() as pid`) as unknown as [{ pid: number }];
  const perRow = new Map<string, number[]>();
  for (let round = 0; round < args.rounds; round++) {
    for (const [name, ddl] of variants) {
      await sql`drop table if exists t`;
      await sql`create table t (like src)`;
      for (const d of ddl) await sql.unsafe(d);
      await sql`checkpoint`;
      const cpu = CpuMeter.of(pid);
      await sql`insert into t select * from src`;
      perRow.set(name, [...(perRow.get(name) ?? []), (cpu.seconds() * 1e6) / N]);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const all = median(perRow.get("every index")!);
  const rows = variants.map(([name]) => {
    const m = median(perRow.get(name)!);
    return {
      variant: name,
      "µs CPU/row (median)": m,
      "saved by dropping it": name === "every index" ? "" : all - m,
    };
  });
  report(args.json, rows, {
    events: N,
    rounds: args.rounds,
    every_index_us_per_row: all,
    index_cost_us_per_row: Object.fromEntries(
      indexes.map((i) => [i.name, all - median(perRow.get(`without ${i.name}`)!)]),
    ),
  });
} finally {
  await sql.end();
  await db.drop();
}
