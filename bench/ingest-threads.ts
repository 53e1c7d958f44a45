/**
 * `bun run bench:ingest-threads [--tree DIR] [--target pglite|postgres] [--events N] [--rounds R]
 *   [--cpu-prof DIR] [--json FILE]`
 *
 * Where ingest's CPU goes, thread by thread. A LogFlow API process (this checkout's, or another
 * checkout's with `--tree`, say the 2026-11-29 code) ingests N events of bench:ingest's traffic
 * (batches of 1,000, 4 clients) into embedded PGlite or Postgres after a warm-up of 5,000, and the CPU
 * each of its threads used meanwhile, read from /proc/<pid>/task/<tid>/stat, is divided by N: µs per
 * event. Unlike events/s, CPU per event hardly moves with what else the shared machine runs. With
 * Postgres, the backends serving the server's database (pg_stat_activity) are counted too.
 *
 * Threads are grouped by name; the main thread (the event loop: HTTP, validation, the driver) is the
 * one whose id is the process's, and PGlite's database thread is the Worker that runs it. Threads that
 * ended during the run are in the process's total only ("exited").
 *
 * `--cpu-prof DIR` runs the server under `bun --cpu-prof` (the main thread's JavaScript, sampled every
 * 250 µs), and the profile is written into DIR when it exits; CPU figures under the profiler are not
 * comparable with figures without it.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import postgres from "postgres";
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
  tree: undefined,
  target: ["pglite", "postgres"],
  events: 60_000,
  rounds: 1,
  "cpu-prof": undefined,
  batch: 1_000,
  concurrency: 4,
});

/** USER_HZ: /proc's CPU times are in ticks of 10 ms on Linux. */
const TICK_S = 0.01;

/** utime + stime in seconds, and the name, of a /proc stat file (its name may hold spaces). */
function statOf(file: string): { name: string; cpu: number } | null {
  try {
    const stat = readFileSync(file, "utf8");
    const open = stat.indexOf("(");
    const close = stat.lastIndexOf(")");
    const f = stat.slice(close + 2).split(" ");
    return { name: stat.slice(open + 1, close), cpu: (Number(f[11]) + Number(f[12])) * TICK_S };
  } catch {
    return null;
  }
}

interface Sample {
  /** The process's own total (its ended threads included). */
  process: number;
  threads: Map<number, { name: string; cpu: number }>;
  /** Database backends by pid (Postgres). */
  backends: Map<number, number>;
}

function sample(pid: number, backendPids: number[]): Sample {
  const threads = new Map<number, { name: string; cpu: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const s = statOf(`/proc/${pid}/task/${tid}/stat`);
    if (s) threads.set(Number(tid), s);
  }
  const backends = new Map<number, number>();
  for (const b of backendPids) backends.set(b, statOf(`/proc/${b}/stat`)?.cpu ?? 0);
  return { process: statOf(`/proc/${pid}/stat`)?.cpu ?? 0, threads, backends };
}

/** µs of CPU per event per thread group between two samples. */
function perEvent(pid: number, before: Sample, after: Sample, events: number): Record<string, number> {
  const us = (s: number) => Math.round((s / events) * 1e7) / 10;
  const groups = new Map<string, number>();
  let threads = 0;
  for (const [tid, t] of after.threads) {
    const d = t.cpu - (before.threads.get(tid)?.cpu ?? 0);
    threads += d;
    const group = tid === pid ? "main thread" : t.name;
    groups.set(group, (groups.get(group) ?? 0) + d);
  }
  const out: Record<string, number> = {};
  for (const [g, d] of [...groups].sort((a, b) => b[1] - a[1])) if (d > 0) out[g] = us(d);
  const proc = after.process - before.process;
  out.exited = us(Math.max(0, proc - threads));
  out["LogFlow process"] = us(proc);
  if (after.backends.size > 0) {
    let b = 0;
    for (const [p, cpu] of after.backends) b += cpu - (before.backends.get(p) ?? 0);
    out["Postgres backends"] = us(b);
  }
  return out;
}

const root = args.tree ? resolve(args.tree) : resolve(import.meta.dir, "..");
const profDir = args["cpu-prof"] ? resolve(args["cpu-prof"]) : undefined;
if (profDir) mkdirSync(profDir, { recursive: true });
const bunFlags = profDir ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`, "--cpu-prof-interval=250"] : [];

console.log(
  `bench:ingest-threads on ${machine()}; ${root}, ${args.target}, ${args.events} events, batches of ${args.batch}, ${args.concurrency} clients${profDir ? ", under --cpu-prof" : ""}\n`,
);
const rows: Record<string, string | number>[] = [];
const runs: Record<string, unknown>[] = [];

for (let round = 0; round < args.rounds; round++) {
  const dir = mkdtempSync(join(tmpdir(), "logflow-bench-threads-"));
  const db = args.target === "postgres" ? await freshDatabase("logflow_bench_threads") : undefined;
  let server: Server | undefined;
  try {
    server = await startServer(
      db ? { DATABASE_URL: db.url } : { LOGFLOW_DATA_DIR: dir },
      "workers/bun/api.ts",
      { root, bunFlags },
    );
    const send = (events: unknown[]) =>
      postIngest(server as Server, jsonBodies(events, args.batch), args.concurrency);
    await send(recentTraffic(5000)); // warm-up: JIT, partitions, plans
    const payload = recentTraffic(args.events);
    let backendPids: number[] = [];
    if (db) {
      const admin = postgres(db.url, { max: 1, onnotice: () => {} });
      const found = await admin<{ pid: number }[]>`
        select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;
      backendPids = found.map((r) => r.pid);
      await admin.end();
    }
    const load = loadavg()[0]!;
    const before = sample(server.pid, backendPids);
    const api = await send(payload);
    const after = sample(server.pid, backendPids);
    if (api.accepted !== args.events) throw new Error(`accepted ${api.accepted} of ${args.events}`);
    const cpu = perEvent(server.pid, before, after, args.events);
    const eps = Math.round(args.events / api.seconds);
    rows.push({ round: round + 1, "events/s": eps, load: load.toFixed(1), ...cpu });
    runs.push({ events_per_s: eps, load_average_1m: load, us_per_event: cpu });
  } finally {
    await server?.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// Thread groups differ between runs: one table whose columns are every group seen (µs per event).
const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
report(
  args.json,
  rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? ""]))),
  { tree: root, target: args.target, events: args.events, runs },
);
if (profDir) console.log(`\nprofiles in ${profDir}: ${readdirSync(profDir).join(", ")}`);
