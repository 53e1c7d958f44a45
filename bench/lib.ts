/** Shared plumbing for benchmarks: flags, tables, JSON output, servers and databases to measure. */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Sql } from "postgres";
import { parseLogEvent } from "../core/log-event.ts";
import type { LogStore } from "../core/ports/log-store.ts";
import { createScratchDatabase, type ScratchDatabase } from "../dev/postgres/scratch-database.ts";
import { createTraffic } from "../stream-jobs/generator/traffic.ts";
import { login, overHttp } from "../tests/helpers/login.ts";

/** A flag's default, which also says how its value is read. */
type FlagDefault = string | number | boolean | readonly [string, ...string[]] | undefined;

type FlagValue<D> = D extends number
  ? number
  : D extends boolean
    ? boolean
    : D extends readonly (infer C)[]
      ? C
      : D extends string
        ? string
        : string | undefined;

/**
 * The command line's `--name value` flags (and `--json FILE`, which every benchmark takes), each read
 * as its default's type says: a number default reads a number (and refuses text that is not one), a
 * boolean is a switch, a list is a choice of those values (the first is the default), a string is text,
 * and `undefined` is optional text. Unknown flags are refused.
 */
export function flags<const T extends Record<string, FlagDefault>>(
  defaults: T,
): { json?: string } & { [K in keyof T]: FlagValue<T[K]> } {
  const options: Record<string, { type: "string" | "boolean"; default?: string | boolean }> = {
    json: { type: "string" },
  };
  for (const [name, d] of Object.entries(defaults)) {
    if (typeof d === "boolean") options[name] = { type: "boolean", default: d };
    else if (d === undefined) options[name] = { type: "string" };
    else options[name] = { type: "string", default: String(Array.isArray(d) ? d[0] : d) };
  }
  const { values } = parseArgs({ args: Bun.argv.slice(2), options, strict: true });
  const out: Record<string, unknown> = { ...values };
  for (const [name, d] of Object.entries(defaults)) {
    const text = values[name];
    if (typeof d === "number") {
      const n = Number(text);
      if (text === "" || !Number.isFinite(n)) throw new Error(`--${name} takes a number, not ${text}`);
      out[name] = n;
    } else if (Array.isArray(d) && !d.includes(text as string)) {
      throw new Error(`--${name} must be ${d.join(" or ")}, not ${text}`);
    }
  }
  return out as { json?: string } & { [K in keyof T]: FlagValue<T[K]> };
}

/**
 * CPU time (user + system, seconds) of processes, read from Linux's /proc; for telling which process
 * a pipeline's time went to (0 where /proc is absent).
 */
export class CpuMeter {
  private readonly start = new Map<number, number>();
  constructor(private readonly select: () => number[]) {
    for (const pid of select()) this.start.set(pid, cpuOf(pid));
  }
  static named(name: string): CpuMeter {
    return new CpuMeter(() => pidsNamed(name));
  }
  static of(pid: number | null | undefined): CpuMeter {
    return new CpuMeter(() => (pid ? [pid] : []));
  }
  /** CPU seconds since the meter was made (processes that started since count from zero). */
  seconds(): number {
    let sum = 0;
    for (const pid of this.select()) sum += cpuOf(pid) - (this.start.get(pid) ?? 0);
    return sum;
  }
}

function cpuOf(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return 0;
  }
}

function pidsNamed(name: string): number[] {
  if (!existsSync("/proc")) return [];
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, "utf8").trim() === name) out.push(Number(d));
    } catch {}
  }
  return out;
}

export function machine(): string {
  const cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
  return `${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Bun ${Bun.version}`;
}

export function table(rows: Record<string, string | number>[]): void {
  if (!rows.length) return;
  const cols = Object.keys(rows[0]!);
  const cell = (v: string | number) =>
    typeof v === "number" ? v.toLocaleString("en-US", { maximumFractionDigits: 1 }) : v;
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(cell(r[c] ?? "")).length)));
  const line = (vals: string[]) => `| ${vals.map((v, i) => v.padEnd(widths[i]!)).join(" | ")} |`;
  console.log(line(cols));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const r of rows) console.log(line(cols.map((c) => String(cell(r[c] ?? "")))));
}

export function writeJson(file: string | undefined, data: Record<string, unknown>): void {
  if (!file) return;
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileSync(
    file,
    `${JSON.stringify({ ...data, machine: machine(), load_average: loadavg(), at: new Date().toISOString() }, null, 2)}\n`,
  );
  console.log(`\nwrote ${file}`);
}

/** The figures as a table, and as JSON in `file` when `--json FILE` asked for it. */
export function report(
  file: string | undefined,
  rows: Record<string, string | number>[],
  data: Record<string, unknown>,
) {
  table(rows);
  writeJson(file, data);
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export const ADMIN_URL =
  process.env.LOGFLOW_BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** A fresh database on the benchmark Postgres server. */
export function freshDatabase(prefix: string): Promise<ScratchDatabase> {
  return createScratchDatabase(ADMIN_URL, `${prefix}_${Date.now().toString(36)}`);
}

export interface Server {
  url: string;
  token: string;
  /** The server process's id (its memory is read from /proc). */
  pid: number;
  stop(): Promise<void>;
}

/** What package.json's role and bench scripts and the Dockerfile set for every LogFlow process (see Dockerfile). */
export const ROLE_ENV = { MIMALLOC_PURGE_DELAY: "10000" };

/** Where and how startServer runs LogFlow, when not this checkout's code as users start it. */
export interface ServerOptions {
  /** Another checkout to run (say the code of an earlier day, to compare with); default this one. */
  root?: string;
  /** Flags for `bun` before the entrypoint (`--cpu-prof`, …). */
  bunFlags?: string[];
}

/**
 * LogFlow's API (or another HTTP entrypoint, the collector say) in its own process (as users run it),
 * so that the load generator in this process does not steal its event loop; logged in as the admin.
 */
export async function startServer(
  env: Record<string, string>,
  entrypoint = "workers/bun/api.ts",
  opts: ServerOptions = {},
): Promise<Server> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const proc = Bun.spawn(["bun", ...(opts.bunFlags ?? []), entrypoint], {
    cwd: opts.root ?? resolve(import.meta.dir, ".."),
    env: {
      ...process.env,
      ...ROLE_ENV,
      PORT: String(port),
      HOST: "127.0.0.1",
      BCRYPT_ROUNDS: "4",
      LOG_LEVEL: "error",
      ADMIN_PASSWORD: "bench-password",
      // One load generator would hit the per-client limits meant for people and scripts.
      RATE_LIMIT_ENABLED: "false",
      ...env,
    },
    stdout: "inherit",
    stderr: "inherit",
  });
  const url = `http://127.0.0.1:${port}`;
  // Generous: on the shared 2-core machine at load 20+ the embedded database alone took over a minute to open.
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {}
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error("LogFlow did not start");
    await Bun.sleep(200);
  }
  const access_token = await login(overHttp(url), "admin", "bench-password");
  return {
    url,
    token: access_token,
    pid: proc.pid,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

/**
 * Write `events` generated events spread over the 24 h before now (seeded traffic) through the store's
 * own write path, two writes in flight while the next batch is generated. Returns what the benchmarks
 * need to build realistic queries: the services seen and word counts sampled from one message in
 * `sampleEvery`.
 */
export async function writeDay(
  store: LogStore,
  opts: { events: number; seed: number; sampleEvery: number },
  start = Date.now() - 24 * 3_600_000 + 60_000,
): Promise<{ services: Set<string>; words: Map<string, number> }> {
  const now = Date.now();
  const traffic = createTraffic({ seed: opts.seed, rate: opts.events / 86_400, start });
  const services = new Set<string>();
  const words = new Map<string, number>();
  let produced = 0;
  const writers: Promise<unknown>[] = [];
  while (produced < opts.events) {
    const events = [];
    for (const raw of traffic.batch(Math.min(5000, opts.events - produced))) {
      const r = parseLogEvent(raw, Math.max(now, Date.now()));
      if (!r.ok) throw new Error(r.error);
      services.add(r.event.service);
      if (produced % opts.sampleEvery === 0) {
        for (const w of r.event.message.toLowerCase().match(/[a-z]{4,}/g) ?? [])
          words.set(w, (words.get(w) ?? 0) + 1);
      }
      events.push(r.event);
      produced++;
    }
    writers.push(store.write(events));
    if (writers.length >= 2) await writers.shift();
  }
  await Promise.all(writers);
  return { services, words };
}

/**
 * writeDay into a fresh Postgres store, then VACUUM ANALYZE (the steady state autovacuum keeps for
 * insert-only tables).
 */
export async function loadDay(
  sql: Sql,
  store: LogStore,
  opts: { events: number; seed: number; sampleEvery: number },
): Promise<{ loaded: number; seconds: number; services: Set<string>; words: Map<string, number> }> {
  const now = Date.now();
  const start = now - 24 * 3_600_000 + 60_000;
  // Let the store create the day partitions the load will touch (COPY-free: the store's own path).
  const edges = [start, now + 7_200_000].map((timestamp) =>
    parseLogEvent({ service: "bench", message: "partition warm-up", timestamp }, now),
  );
  await store.write(edges.flatMap((e) => (e.ok ? [e.event] : [])));

  const started = performance.now();
  const { services, words } = await writeDay(store, opts, start);
  await sql`vacuum analyze logs`;
  const seconds = (performance.now() - started) / 1000;
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from logs`;
  return { loaded: row?.n ?? 0, seconds, services, words };
}

/**
 * bench:ingest's traffic: `n` generated events (seed 7) with recent timestamps (the last ~10 minutes),
 * so that every event is inside retention.
 */
export function recentTraffic(n: number): unknown[] {
  const traffic = createTraffic({ seed: 7, rate: Math.max(100, n / 600), start: Date.now() - 11 * 60_000 });
  return traffic.batch(n) as unknown[];
}

/** The events as JSON array bodies of `batch` events each. */
export function jsonBodies(events: unknown[], batch: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < events.length; i += batch) out.push(JSON.stringify(events.slice(i, i + batch)));
  return out;
}

/**
 * POST each payload to the server's /api/v1/ingest, `concurrency` requests at a time; a 503 is waited
 * out (Retry-After) and sent again, anything else but a 2xx fails the run.
 */
export async function postIngest(
  server: Server,
  payloads: string[],
  concurrency: number,
): Promise<{ seconds: number; accepted: number; refused: number }> {
  let next = 0;
  let accepted = 0;
  let refused = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < payloads.length) {
        const body = payloads[next++]!;
        for (;;) {
          const res = await fetch(`${server.url}/api/v1/ingest`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${server.token}` },
            body,
          });
          if (res.status === 503) {
            refused++;
            await Bun.sleep(Number(res.headers.get("retry-after") ?? 1) * 1000);
            continue;
          }
          if (!res.ok) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
          accepted += ((await res.json()) as { accepted: number }).accepted;
          break;
        }
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, accepted, refused };
}
