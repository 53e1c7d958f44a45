/**
 * `bun run bench:protocols [--events N] [--concurrency C] [--turns T] [--only pglite|postgres] [--json FILE]`
 *
 * Events/s of the same events shipped to a running LogFlow (its own process, real sockets) in each
 * protocol, in batches of 1,000, C requests at a time: native JSON (`POST /api/v1/ingest`, NDJSON),
 * Elasticsearch bulk, OTLP/HTTP protobuf (the SDK exporter's own bodies), Loki push JSON, and syslog
 * over TCP (C connections, LF-framed RFC 5424). The HTTP protocols are timed until their last answer
 * (answers come once the events are durable); syslog, which has no answer, until the store holds its
 * events: a count over just that turn's time range, asked when the rate so far says the turn should be
 * done (an exact total over all syslog events every 20 ms loaded the very store being measured, on
 * syslog's turns only; /metrics is no cheaper, its default metrics read the heap's statistics).
 * Into embedded PGlite and into Postgres, one run each; each protocol's ratio to native.
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
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
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

const args = flags({ events: 200_000, concurrency: 4, turns: 10, only: "" });
const { events: EVENTS, concurrency: CONCURRENCY } = args;
const BATCH = 1_000;
const TURNS = args.turns;

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
  send(server: Server, syslogPort: number, bodies: Uint8Array[], range: SampleRange): Promise<void>;
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
  const res = await fetch(`${server.url}/api/v1/logs/search?${q}`, {
    headers: { authorization: `Bearer ${server.token}` },
  });
  if (!res.ok) throw new Error(`search answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { total: number }).total;
}

/**
 * Send syslog bodies (the events of `from`…`to` of makeSamples' order), then wait until the store holds
 * them: a count over just those events' time range, asked again after most of the time the rate so far
 * says is left, then every 10 ms near the end, so that counting neither loads the store being measured
 * nor adds more than a poll to the time.
 */
async function syslogUntilStored(
  server: Server,
  port: number,
  bodies: Uint8Array[],
  range: SampleRange,
): Promise<void> {
  const started = performance.now();
  const count = range.to - range.from;
  const window = { start: base + range.from, end: base + range.to - 1 };
  await syslogAll(port, bodies);
  let stalled = 0;
  for (let n = 0, last = 0; ; last = n) {
    n = await storedCount(server, prefixed(range.prefix), window);
    if (n >= count) return;
    const elapsed = performance.now() - started;
    const left = n > 0 ? ((count - n) * elapsed) / n : elapsed;
    const wait = Math.min(1_000, Math.max(10, left * 0.7));
    stalled = n === last ? stalled + wait : 0;
    if (stalled > 30_000) throw new Error(`syslog: ${n} of ${count} stored, and no more for 30 s`);
    await Bun.sleep(wait);
  }
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
    send: (server, _port, bodies) => postAll(server, "/api/v1/ingest", "application/x-ndjson", bodies, ok),
  },
  {
    ...encoded("bulk", "bulk-", bulkBody),
    send: (server, _port, bodies) =>
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
    send: (server, _port, bodies) => postAll(server, "/v1/logs", "application/x-protobuf", bodies, ok),
  },
  {
    ...encoded("loki", "loki-", lokiJsonBody),
    send: (server, _port, bodies) => postAll(server, "/loki/api/v1/push", "application/json", bodies, ok),
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

/** Processes whose CPU time counts as the server's: LogFlow, and the Postgres backends of its database. */
type ServerProcesses = () => Promise<number[]>;

async function run(
  label: string,
  env: Record<string, string>,
): Promise<{ rates: Record<string, number>; cpu: Record<string, number> }> {
  const syslogPort = 20000 + Math.floor(Math.random() * 20000);
  const server = await startServer({ ...env, SYSLOG_PORT: String(syslogPort) });
  const out: Record<string, number> = {};
  const cpuOut: Record<string, number> = {};
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
  try {
    // Warm-up: JIT, partitions, plans, on every path alike.
    for (const p of protocols) {
      await p.send(server, syslogPort, p.warm, { prefix: `warm-${p.name}-`, from: 0, to: 2 * BATCH });
    }
    const seconds = new Map(protocols.map((p) => [p.name, 0]));
    const cpu = new Map(protocols.map((p) => [p.name, 0]));
    for (let turn = 0; turn < TURNS; turn++) {
      for (let k = 0; k < protocols.length; k++) {
        const p = protocols[(turn + k) % protocols.length]!;
        const from = Math.floor((p.bodies.length * turn) / TURNS);
        const to = Math.floor((p.bodies.length * (turn + 1)) / TURNS);
        const cpuBefore = cpuSeconds(await processes());
        const started = performance.now();
        await p.send(server, syslogPort, p.bodies.slice(from, to), {
          prefix: `${p.name === "syslog_tcp" ? "syslog" : p.name}-`,
          from: from * BATCH,
          to: to * BATCH,
        });
        seconds.set(p.name, seconds.get(p.name)! + (performance.now() - started) / 1000);
        let used = 0;
        for (const [pid, after] of cpuSeconds(await processes())) used += after - (cpuBefore.get(pid) ?? 0);
        cpu.set(p.name, cpu.get(p.name)! + used);
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
  return { rates: out, cpu: cpuOut };
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
  const { rates, cpu } = await measure();
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
    rows.push({
      target: label,
      protocol: p.name,
      "events/s": Math.round(rate),
      "ratio to native": Number((rate / native).toFixed(2)),
      "server CPU µs/event": Number(cpu[p.name]!.toFixed(1)),
      "CPU ratio (native's ÷ this)": Number(cpuRatio.toFixed(2)),
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
