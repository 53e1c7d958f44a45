/**
 * `bun run bench:protocols [--events N] [--concurrency C] [--turns T] [--only pglite|postgres] [--diagnose] [--json FILE]`
 *
 * Events/s of the same events shipped to a running LogFlow (its own process, real sockets) in each
 * protocol, in batches of 1,000, C requests at a time: native JSON (`POST /api/v1/ingest`, NDJSON),
 * Elasticsearch bulk, OTLP/HTTP protobuf (the SDK exporter's own bodies), Loki push JSON, and syslog
 * over TCP (C connections, LF-framed RFC 5424). The HTTP protocols are timed until their last answer
 * (answers come once the events are durable); syslog, which has no answer, until the store holds its
 * events (see syslogUntilStored: an exact total over all syslog events every 20 ms loaded the very store
 * being measured, on syslog's turns only; /metrics is no cheaper, its default metrics read the heap's
 * statistics; on Postgres the bench asks the database on its own connection instead, see
 * syslogStoredInPostgres). Into embedded PGlite and into Postgres, one run each; each protocol's ratio
 * to native.
 *
 * `--diagnose` prints, per protocol, where its time went: CPU per event of the LogFlow process (and of
 * each of its threads by name: the main thread `bun`, PGlite's `Worker`, JIT and GC helpers), of the
 * Postgres backends and of this client; for syslog, how many searches finding its end took; the store writes (how many, events and milliseconds each, how
 * many in flight on average) from /metrics; the states of the database's backends sampled every 50 ms;
 * and the stored rows' sizes per protocol. It costs a little CPU of its own, so figures are taken
 * without it.
 *
 * Beside events/s, the CPU time each protocol's events cost the server (the LogFlow process, and for
 * Postgres its backends for that database, read from /proc): on a shared machine whose load swings the
 * wall-clock rates by more than the 10 % the target allows, CPU per event is what still compares the
 * protocols' own costs.
 *
 * Every protocol is warmed up alike (JIT, plans) before timing. The protocols take turns, a 1/T of
 * each at a time, and each turn starts with the next protocol: the table grows as the run goes on and
 * a shared machine's speed drifts, and turns spread both over every protocol alike instead of
 * favouring one place in the order.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { flags, freshDatabase, machine, report, type Server, startServer } from "./lib.ts";
import {
  batchesOf,
  bulkBody,
  lokiJsonBody,
  makeSamples,
  nativeBody,
  otlpBodies,
  SERVICES,
  syslogBody,
} from "./protocol-bodies.ts";

const args = flags({ events: 200_000, concurrency: 4, turns: 10, only: "", diagnose: false });
const { events: EVENTS, concurrency: CONCURRENCY } = args;
const BATCH = 1_000;
const TURNS = args.turns;

/** Where syslog goes, and the processes whose CPU counts as the server's (see ServerProcesses). */
interface Target {
  syslogPort: number;
  processes: ServerProcesses;
  /** The bench's own connection to the server's Postgres database (none for PGlite). */
  sql?: postgres.Sql;
}

interface SampleRange {
  prefix: string;
  from: number;
  to: number;
}

interface Protocol {
  name: string;
  /** Bodies ready to send; built before any timing. */
  bodies: Uint8Array[];
  /** Two batches of the same shape for the warm-up (services named `warm-<name>-…`). */
  warm: Uint8Array[];
  /**
   * Send `bodies`: whole batches of BATCH events, those of events `from`…`to` in makeSamples' order
   * with services named `prefix…`. Resolves once their events are durable.
   */
  send(server: Server, target: Target, bodies: Uint8Array[], range: SampleRange): Promise<void>;
}

/** POST every body, C at a time; a 429/503 is waited out (Retry-After) and sent again. */
async function postAll(
  server: Server,
  path: string,
  type: string,
  bodies: Uint8Array[],
  check: (res: Response) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        for (;;) {
          const res = await fetch(`${server.url}${path}`, {
            method: "POST",
            headers: { "content-type": type, authorization: `Bearer ${server.token}` },
            body: body as Uint8Array<ArrayBuffer>,
          });
          if (res.status === 503 || res.status === 429) {
            await res.arrayBuffer();
            await Bun.sleep(Number(res.headers.get("retry-after") ?? 1) * 1000);
            continue;
          }
          await check(res);
          break;
        }
      }
    }),
  );
}

async function ok(res: Response): Promise<void> {
  if (!res.ok) throw new Error(`${res.url} answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
}

/** How many events of `services` the store holds (the search's exact total), in a time range (epoch ms) or the last day. */
/** Searches storedCount sent so far (syslog's questions to the store, for --diagnose). */
let storedCounts = 0;
async function storedCount(
  server: Server,
  services: string[],
  window?: { start: number; end: number },
): Promise<number> {
  const range = window
    ? [
        ["start_time", new Date(window.start).toISOString()],
        ["end_time", new Date(window.end).toISOString()],
      ]
    : [["since", "24h"]];
  const q = new URLSearchParams([...services.map((s) => ["service", s]), ...range, ["limit", "1"]]);
  storedCounts++;
  const res = await fetch(`${server.url}/api/v1/logs/search?${q}`, {
    headers: { authorization: `Bearer ${server.token}` },
  });
  if (!res.ok) throw new Error(`search answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { total: number }).total;
}

/**
 * Send syslog bodies (the events of `from`…`to` of makeSamples' order), then wait until the store holds
 * them. Syslog has no answer, so its end is found by asking the store, in two steps that keep the end
 * exact to ~10 ms:
 * - whether the turn's last message (one event, a 1 ms window: an index lookup) is stored. The listener
 *   reads it after everything sent before it, and it rides in the turn's last batch;
 * - then the exact count over the turn's time range until it is whole (a batch committed beside the
 *   last one may land a moment after it).
 * Each question is a search request that costs the server 1–2 ms of CPU (and, on PGlite, its database
 * thread): asked every 10–20 ms through the whole wait, 10–60 of them in a turn of 10,000 events, they
 * were a measurable share of syslog's CPU per event and slowed the very writes being timed. So a
 * question is only asked once the server looks done: its processes (LogFlow and its database's
 * backends, from /proc, which costs the server nothing) used at most one CPU tick over the last 30 ms,
 * or 200 ms after the last question whatever they do. The end is still the answer that proves the
 * events stored; the wait for quiet can only make it later, never earlier.
 * Counting the whole range from the start, at intervals the rate so far predicted, was off by most of
 * an interval whenever a commit of thousands of events landed just after a poll: up to a second per
 * turn, which made syslog's rate on Postgres 0.7 of native's.
 */
async function syslogUntilStored(
  server: Server,
  target: Target,
  bodies: Uint8Array[],
  range: SampleRange,
): Promise<void> {
  const count = range.to - range.from;
  const window = { start: base + range.from, end: base + range.to - 1 };
  const lastAt = base + range.to - 1;
  const lastService = range.prefix + SERVICES[(range.to - 1) % SERVICES.length]!;
  await syslogAll(target.syslogPort, bodies);
  if (target.sql) return syslogStoredInPostgres(target.sql, range, lastService, lastAt);
  const quiet = await serverQuiet(target.processes);
  try {
    const deadline = performance.now() + 120_000;
    while ((await storedCount(server, [lastService], { start: lastAt, end: lastAt })) === 0) {
      if (performance.now() > deadline)
        throw new Error("syslog: the turn's last message not stored after 120 s");
      await quiet.wait(10);
    }
    let stalled = 0;
    for (let n = 0, last = -1; ; last = n) {
      n = await storedCount(server, prefixed(range.prefix), window);
      if (n >= count) return;
      const waited = await quiet.wait(20);
      stalled = n === last ? stalled + waited : 0;
      if (stalled > 30_000) throw new Error(`syslog: ${n} of ${count} stored, and no more for 30 s`);
    }
  } finally {
    quiet.stop();
  }
}

/**
 * syslogUntilStored's end on Postgres, asked of the database on the bench's own connection every 5 ms:
 * the same two steps (the turn's last message, then the turn's whole count), without asking LogFlow.
 * Its backend is not one of the server's processes (see `processes` in run), so its CPU is not
 * counted as the server's; it still shares the machine's two cores with them, as the HTTP protocols'
 * client does. Through LogFlow's search API each question cost the server 1–2 ms of CPU: 2–3 µs of
 * syslog's CPU per event on Postgres (`--diagnose`, 30,000 events, load 7.5–8).
 */
async function syslogStoredInPostgres(
  sql: postgres.Sql,
  range: SampleRange,
  lastService: string,
  lastAt: number,
): Promise<void> {
  const start = new Date(base + range.from);
  const end = new Date(base + range.to);
  const deadline = performance.now() + 120_000;
  const until = async (what: string, need: number, stored: () => Promise<{ n: number }[]>) => {
    for (;;) {
      const n = (await stored())[0]!.n;
      if (n >= need) return;
      if (performance.now() > deadline)
        throw new Error(`syslog: ${what}: ${n} of ${need} stored after 120 s`);
      await Bun.sleep(5);
    }
  };
  await until(
    "the turn's last message",
    1,
    () =>
      sql`select count(*)::int as n from logs where service = ${lastService} and ts = ${new Date(lastAt)}`,
  );
  await until(
    "the turn",
    range.to - range.from,
    () => sql`
      select count(*)::int as n from logs
      where service = any(${prefixed(range.prefix)}) and ts >= ${start} and ts < ${end}`,
  );
}

/** At most this many CPU ticks (1/100 s) of the server's processes in the last QUIET_WINDOW_MS: quiet. */
const QUIET_TICKS = 1;
const QUIET_WINDOW_MS = 30;
/** Longest wait between two questions to the store, however busy the server looks. */
const MAX_QUIET_WAIT_MS = 200;

/**
 * Samples the server's CPU ticks (its processes' /proc, every 10 ms) until stopped; `wait` lasts at
 * least `minMs`, then until the last QUIET_WINDOW_MS were quiet or MAX_QUIET_WAIT_MS passed, and
 * resolves with the milliseconds waited.
 */
async function serverQuiet(
  processes: ServerProcesses,
): Promise<{ wait(minMs: number): Promise<number>; stop(): void }> {
  const pids = await processes();
  const ticks = () => {
    let sum = 0;
    for (const s of cpuSeconds(pids).values()) sum += Math.round(s * 100);
    return sum;
  };
  const samples: { at: number; ticks: number }[] = [{ at: performance.now(), ticks: ticks() }];
  const sampler = setInterval(() => {
    samples.push({ at: performance.now(), ticks: ticks() });
    if (samples.length > 64) samples.splice(0, 32);
  }, 10);
  const quiet = () => {
    const last = samples[samples.length - 1]!;
    const since = last.at - QUIET_WINDOW_MS;
    // The newest sample at least a window old; none yet: not known to be quiet.
    for (let i = samples.length - 2; i >= 0; i--) {
      if (samples[i]!.at <= since) return last.ticks - samples[i]!.ticks <= QUIET_TICKS;
    }
    return false;
  };
  return {
    async wait(minMs) {
      const started = performance.now();
      await Bun.sleep(minMs);
      while (!quiet() && performance.now() - started < MAX_QUIET_WAIT_MS) await Bun.sleep(5);
      return performance.now() - started;
    },
    stop: () => clearInterval(sampler),
  };
}

/** Write bodies on C TCP connections to the syslog port, each connection's share in turn. */
async function syslogAll(port: number, bodies: Uint8Array[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      const socket = connect({ host: "127.0.0.1", port });
      await new Promise<void>((done, fail) => socket.once("connect", done).once("error", fail));
      while (next < bodies.length) {
        const body = bodies[next++]!;
        if (!socket.write(body)) await new Promise((done) => socket.once("drain", done));
      }
      await new Promise<void>((done) => socket.end(done));
    }),
  );
}

const base = Date.now() - 10 * 60_000;
const prefixed = (prefix: string) => SERVICES.map((s) => prefix + s);
console.log(`building ${EVENTS} events per protocol…`);
const warm = (name: string) => batchesOf(makeSamples(2 * BATCH, base, `warm-${name}-`), BATCH);
/** A protocol's timed and warm-up batches: the same kind of samples, in its own body format. */
const encoded = <B>(name: string, prefix: string, encode: (batch: ReturnType<typeof makeSamples>) => B) => ({
  name,
  bodies: batchesOf(makeSamples(EVENTS, base, prefix), BATCH).map(encode),
  warm: warm(name).map(encode),
});
const protocols: Protocol[] = [
  {
    ...encoded("native", "native-", nativeBody),
    send: (server, _target, bodies) => postAll(server, "/api/v1/ingest", "application/x-ndjson", bodies, ok),
  },
  {
    ...encoded("bulk", "bulk-", bulkBody),
    send: (server, _target, bodies) =>
      postAll(server, "/_bulk", "application/x-ndjson", bodies, async (res) => {
        if (!res.ok) throw new Error(`bulk answered ${res.status}: ${await res.text()}`);
        const answer = (await res.json()) as { errors: boolean; items: object[] };
        if (answer.errors) throw new Error(`bulk items refused: ${JSON.stringify(answer.items.slice(0, 2))}`);
      }),
  },
  {
    name: "otlp",
    bodies: await otlpBodies("protobuf", makeSamples(EVENTS, base, "otlp-"), BATCH),
    warm: await otlpBodies("protobuf", warm("otlp").flat(), BATCH),
    send: (server, _target, bodies) => postAll(server, "/v1/logs", "application/x-protobuf", bodies, ok),
  },
  {
    ...encoded("loki", "loki-", lokiJsonBody),
    send: (server, _target, bodies) => postAll(server, "/loki/api/v1/push", "application/json", bodies, ok),
  },
  { ...encoded("syslog_tcp", "syslog-", syslogBody), send: syslogUntilStored },
];

/** CPU seconds (user + system) /proc says each of `pids` has used so far; a process that is gone is left out. */
function cpuSeconds(pids: number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(pid, (Number(fields[11]) + Number(fields[12])) / 100); // utime, stime in ticks of 1/100 s
    } catch {}
  }
  return out;
}

/** CPU seconds each thread of `pid` has used so far, summed by thread name (PGlite's database thread, JIT and GC helpers). */
function threadSeconds(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {}
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")).replace(/\d+$/, "");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const s = (Number(fields[11]) + Number(fields[12])) / 100;
      out.set(name, (out.get(name) ?? 0) + s);
    } catch {}
  }
  return out;
}

/** The store's write count and seconds so far, from the server's /metrics (for mean batch size and write time). */
async function storeWrites(server: Server): Promise<{ n: number; s: number }> {
  const text = await (
    await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${server.token}` } })
  ).text();
  const n = Number(
    /store_query_duration_seconds_count\{[^}]*operation="write"[^}]*\} (\S+)/.exec(text)?.[1] ?? 0,
  );
  const s = Number(
    /store_query_duration_seconds_sum\{[^}]*operation="write"[^}]*\} (\S+)/.exec(text)?.[1] ?? 0,
  );
  return { n, s };
}

interface Diagnosis {
  seconds: number;
  main: number;
  backends: number;
  client: number;
  writes: number;
  writeSeconds: number;
  waits: Record<string, number>;
  threads: Record<string, number>;
  questions: number;
}

/** Every 50 ms until stopped: the states of the database's other backends (active, idle in transaction, waiting on …). */
function sampleWaits(sql: postgres.Sql): { stop(): Promise<Record<string, number>> } {
  const counts: Record<string, number> = {};
  let running = true;
  const loop = (async () => {
    while (running) {
      const rows = await sql<{ k: string; n: number }[]>`
        select coalesce(state, '?') || coalesce(':' || wait_event_type || '/' || wait_event, '') as k, count(*)::int as n
        from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'
        group by 1`;
      for (const r of rows) counts[r.k] = (counts[r.k] ?? 0) + r.n;
      await Bun.sleep(50);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return counts;
    },
  };
}

/**
 * Wait until the server is at rest: no backend of its database running a statement and no autovacuum
 * worker in it (Postgres), for at most 30 s, then 100 ms more (PGlite has no background work of its own:
 * only those). Returns how long that took and the server's CPU meanwhile.
 */
async function settle(
  sql: postgres.Sql | undefined,
  processes: ServerProcesses,
): Promise<{ seconds: number; cpu: number }> {
  const started = performance.now();
  const before = cpuSeconds(await processes());
  if (sql) {
    const deadline = started + 30_000;
    while (performance.now() < deadline) {
      const [row] = await sql<{ busy: number }[]>`
        select count(*)::int as busy from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid()
          and (state = 'active' or backend_type = 'autovacuum worker')`;
      if (row?.busy === 0) break;
      await Bun.sleep(50);
    }
  }
  await Bun.sleep(100);
  let cpu = 0;
  for (const [pid, after] of cpuSeconds(await processes())) cpu += after - (before.get(pid) ?? 0);
  return { seconds: (performance.now() - started) / 1000, cpu };
}

/** Processes whose CPU time counts as the server's: LogFlow, and the Postgres backends of its database. */
type ServerProcesses = () => Promise<number[]>;

async function run(
  label: string,
  env: Record<string, string>,
): Promise<{
  rates: Record<string, number>;
  cpu: Record<string, number>;
  after: Record<string, { cpu_us_per_event: number; seconds: number }>;
}> {
  const syslogPort = 20000 + Math.floor(Math.random() * 20000);
  const server = await startServer({ ...env, SYSLOG_PORT: String(syslogPort) });
  const out: Record<string, number> = {};
  const cpuOut: Record<string, number> = {};
  const after: Record<string, { cpu_us_per_event: number; seconds: number }> = {};
  const sql = env.DATABASE_URL ? postgres(env.DATABASE_URL, { max: 1, onnotice: () => {} }) : undefined;
  const processes: ServerProcesses = async () => [
    server.pid,
    ...(sql
      ? (
          await sql<{ pid: number }[]>`
            select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`
        ).map((r) => r.pid)
      : []),
  ];
  const target: Target = { syslogPort, processes, ...(sql ? { sql } : {}) };
  try {
    // Warm-up: JIT, partitions, plans, on every path alike.
    for (const p of protocols) {
      await p.send(server, target, p.warm, { prefix: `warm-${p.name}-`, from: 0, to: 2 * BATCH });
    }
    const seconds = new Map(protocols.map((p) => [p.name, 0]));
    const diag: Record<string, Diagnosis> = {};
    // The server's CPU and the seconds it took to come to rest after each protocol's turns.
    const afterCpu = new Map(protocols.map((p) => [p.name, 0]));
    const afterSeconds = new Map(protocols.map((p) => [p.name, 0]));
    let prev: string | undefined;
    const cpu = new Map(protocols.map((p) => [p.name, 0]));
    for (let turn = 0; turn < TURNS; turn++) {
      for (let k = 0; k < protocols.length; k++) {
        const p = protocols[(turn + k) % protocols.length]!;
        const from = Math.floor((p.bodies.length * turn) / TURNS);
        const to = Math.floor((p.bodies.length * (turn + 1)) / TURNS);
        // Each turn starts with the server at rest. What a turn leaves running after its last answer
        // (autovacuum of the partitions it filled, its backends finishing) would otherwise be paid by
        // whichever protocol comes next: with the protocols in a fixed cycle, always the same one.
        const rest = await settle(sql, processes);
        if (prev) {
          afterCpu.set(prev, afterCpu.get(prev)! + rest.cpu);
          afterSeconds.set(prev, afterSeconds.get(prev)! + rest.seconds);
        }
        prev = p.name;
        const writesBefore = args.diagnose ? await storeWrites(server) : { n: 0, s: 0 };
        const threadsBefore = args.diagnose ? threadSeconds(server.pid) : undefined;
        const cpuBefore = cpuSeconds(await processes());
        const clientBefore = process.cpuUsage();
        const countsBefore = storedCounts;
        const started = performance.now();
        const sampling = args.diagnose && sql ? sampleWaits(sql) : undefined;
        await p.send(server, target, p.bodies.slice(from, to), {
          prefix: `${p.name === "syslog_tcp" ? "syslog" : p.name}-`,
          from: from * BATCH,
          to: to * BATCH,
        });
        const took = (performance.now() - started) / 1000;
        seconds.set(p.name, seconds.get(p.name)! + took);
        const clientUsed = process.cpuUsage(clientBefore);
        let used = 0;
        let main = 0;
        for (const [pid, after] of cpuSeconds(await processes())) {
          used += after - (cpuBefore.get(pid) ?? 0);
          if (pid === server.pid) main += after - (cpuBefore.get(pid) ?? 0);
        }
        cpu.set(p.name, cpu.get(p.name)! + used);
        if (args.diagnose) {
          const waits = await sampling?.stop();
          const w = await storeWrites(server);
          diag[p.name] ??= {
            seconds: 0,
            main: 0,
            backends: 0,
            client: 0,
            writes: 0,
            writeSeconds: 0,
            waits: {},
            threads: {},
            questions: 0,
          };
          const d = diag[p.name]!;
          d.seconds += took;
          d.questions += storedCounts - countsBefore;
          d.main += main;
          d.backends += used - main;
          d.client += (clientUsed.user + clientUsed.system) / 1e6;
          d.writes += w.n - writesBefore.n;
          d.writeSeconds += w.s - writesBefore.s;
          for (const [k, v] of Object.entries(waits ?? {})) d.waits[k] = (d.waits[k] ?? 0) + v;
          for (const [k, v] of threadSeconds(server.pid))
            d.threads[k] = (d.threads[k] ?? 0) + v - (threadsBefore?.get(k) ?? 0);
        }
      }
    }
    if (prev) {
      const rest = await settle(sql, processes);
      afterCpu.set(prev, afterCpu.get(prev)! + rest.cpu);
      afterSeconds.set(prev, afterSeconds.get(prev)! + rest.seconds);
    }
    for (const p of protocols) {
      after[p.name] = {
        cpu_us_per_event: Number(((afterCpu.get(p.name)! * 1e6) / EVENTS).toFixed(1)),
        seconds: Number(afterSeconds.get(p.name)!.toFixed(1)),
      };
    }
    if (args.diagnose) {
      for (const [name, d] of Object.entries(diag)) {
        const perEvent = (x: number) => Number(((x * 1e6) / EVENTS).toFixed(1));
        const samples = Object.values(d.waits).reduce((a, b) => a + b, 0) || 1;
        console.log(
          `${label} ${name}: ${d.seconds.toFixed(1)} s; CPU µs/event main ${perEvent(d.main)}, backends ${perEvent(d.backends)}, client ${perEvent(d.client)}; ` +
            (d.questions ? `${d.questions} searches to find the end; ` : "") +
            `${d.writes} store writes (${Math.round(EVENTS / Math.max(1, d.writes))} events each, ${((d.writeSeconds / Math.max(1, d.writes)) * 1000).toFixed(1)} ms each, ${(d.writeSeconds / d.seconds).toFixed(2)} writes in flight on average); ` +
            `LogFlow's threads (µs/event, share of the turns' time busy): ${Object.entries(d.threads)
              .filter(([, v]) => v > 0)
              .sort((a, b) => b[1] - a[1])
              .map(([k, v]) => `${k} ${perEvent(v)} (${((100 * v) / d.seconds).toFixed(0)}%)`)
              .join(", ")}; ` +
            `backend states: ${Object.entries(d.waits)
              .sort((a, b) => b[1] - a[1])
              .map(([k, v]) => `${k} ${((100 * v) / samples).toFixed(0)}%`)
              .join(", ")}`,
        );
      }
      if (sql) {
        const rows = await sql`
          select split_part(service, '-', 1) as protocol, count(*)::int as n,
                 round(avg(pg_column_size(l.*)))::int as row_bytes,
                 round(avg(pg_column_size(attributes)))::int as attr_bytes,
                 round(avg((select count(*) from jsonb_object_keys(attributes))), 2)::float as attr_keys,
                 round(avg(length(search::text)))::int as search_chars,
                 round(avg(length(message)))::int as message_chars,
                 count(host)::int as with_host, count(pattern)::int as with_pattern
          from logs l where service not like 'warm-%' group by 1 order by 1`;
        for (const r of rows) console.log(`${label} stored rows:`, JSON.stringify(r));
      }
    }
    for (const p of protocols) {
      const stored = await storedCount(server, prefixed(`${p.name === "syslog_tcp" ? "syslog" : p.name}-`));
      if (stored !== EVENTS) throw new Error(`${label} ${p.name}: ${stored} of ${EVENTS} stored`);
      out[p.name] = EVENTS / seconds.get(p.name)!;
      cpuOut[p.name] = (cpu.get(p.name)! * 1e6) / EVENTS; // CPU µs per event
    }
  } finally {
    await sql?.end();
    await server.stop();
  }
  return { rates: out, cpu: cpuOut, after };
}

console.log(
  `bench:protocols on ${machine()}; ${EVENTS} events per protocol, batches of ${BATCH}, ${CONCURRENCY} clients\n`,
);
const targets: [string, string, () => ReturnType<typeof run>][] = [
  [
    "pglite",
    "PGlite (embedded)",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "logflow-bench-protocols-"));
      try {
        return await run("pglite", { LOGFLOW_DATA_DIR: dir });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  ],
  [
    "postgres",
    "Postgres (DATABASE_URL)",
    async () => {
      const db = await freshDatabase("logflow_bench_protocols");
      try {
        return await run("postgres", { DATABASE_URL: db.url });
      } finally {
        await db.drop();
      }
    },
  ],
];
const rows: Record<string, string | number>[] = [];
const json: Record<string, unknown> = {
  events: EVENTS,
  batch: BATCH,
  concurrency: CONCURRENCY,
  turns: TURNS,
};
/** The 1-minute load average (as `uptime` shows it), to two decimals. */
const load = () => Number(loadavg()[0]!.toFixed(2));
for (const [key, label, measure] of targets) {
  if (args.only && args.only !== key) continue;
  const loadBefore = load();
  const { rates, cpu, after } = await measure();
  const native = rates.native!;
  const result: Record<string, number> = { load_before: loadBefore, load_after: load() };
  console.log(`${label}: load average ${result.load_before} before, ${result.load_after} after`);
  for (const p of protocols) {
    const rate = rates[p.name]!;
    result[`${p.name}_events_per_s`] = Math.round(rate);
    if (p.name !== "native") result[`${p.name}_ratio`] = Number((rate / native).toFixed(3));
    // CPU per event: native's ÷ the protocol's, so that ≥ 0.9 reads as the events/s target does.
    const cpuRatio = cpu.native! / cpu[p.name]!;
    result[`${p.name}_cpu_us_per_event`] = Number(cpu[p.name]!.toFixed(1));
    if (p.name !== "native") result[`${p.name}_cpu_ratio`] = Number(cpuRatio.toFixed(3));
    // Not timed: what the server still did after the protocol's turns until it was at rest.
    result[`${p.name}_after_cpu_us_per_event`] = after[p.name]!.cpu_us_per_event;
    result[`${p.name}_settle_s`] = after[p.name]!.seconds;
    rows.push({
      target: label,
      protocol: p.name,
      "events/s": Math.round(rate),
      "ratio to native": Number((rate / native).toFixed(2)),
      "server CPU µs/event": Number(cpu[p.name]!.toFixed(1)),
      "CPU ratio (native's ÷ this)": Number(cpuRatio.toFixed(2)),
      "CPU µs/event after (untimed)": after[p.name]!.cpu_us_per_event,
    });
  }
  // The first target's figures are the top-level keys the issue names; each target's under its name.
  if (json.native_events_per_s === undefined) {
    const { load_before: _b, load_after: _a, ...figures } = result;
    Object.assign(json, figures);
  }
  json[key] = result;
}
report(args.json, rows, json);
