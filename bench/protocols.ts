/**
 * `bun run bench:protocols [--events N] [--concurrency C] [--only pglite|postgres] [--json FILE]`
 *
 * Events/s of the same events shipped to a running LogFlow (its own process, real sockets) in each
 * protocol, in batches of 1,000, C requests at a time: native JSON (`POST /api/v1/ingest`, NDJSON),
 * Elasticsearch bulk, OTLP/HTTP protobuf (the SDK exporter's own bodies), Loki push JSON, and syslog
 * over TCP (C connections, LF-framed RFC 5424). The HTTP protocols are timed until their last answer
 * (answers come once the events are durable); syslog, which has no answer, until the store holds every
 * event. Into embedded PGlite and into Postgres, one run each; each protocol's ratio to native.
 *
 * The protocols take turns, a fifth of each at a time: the table grows as the run goes on and a shared
 * machine's speed drifts, and turns spread both over every protocol alike instead of favouring the first.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

const args = flags({ events: 200_000, concurrency: 4, only: "" });
const { events: EVENTS, concurrency: CONCURRENCY } = args;
const BATCH = 1_000;
const TURNS = 5;

interface Protocol {
  name: string;
  /** Bodies ready to send; built before any timing. */
  bodies: Uint8Array[];
  /** Send `bodies`; `storedAfter` is how many of this protocol's events the store holds after them. */
  send(server: Server, syslogPort: number, bodies: Uint8Array[], storedAfter: number): Promise<void>;
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

/** How many events of `services` the store holds (the search's exact total). */
async function storedCount(server: Server, services: string[]): Promise<number> {
  const q = new URLSearchParams([...services.map((s) => ["service", s]), ["since", "24h"], ["limit", "1"]]);
  const res = await fetch(`${server.url}/api/v1/logs/search?${q}`, {
    headers: { authorization: `Bearer ${server.token}` },
  });
  if (!res.ok) throw new Error(`search answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { total: number }).total;
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
const protocols: Protocol[] = [
  {
    name: "native",
    bodies: batchesOf(makeSamples(EVENTS, base, "native-"), BATCH).map(nativeBody),
    send: (server, _port, bodies) => postAll(server, "/api/v1/ingest", "application/x-ndjson", bodies, ok),
  },
  {
    name: "bulk",
    bodies: batchesOf(makeSamples(EVENTS, base, "bulk-"), BATCH).map(bulkBody),
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
    send: (server, _port, bodies) => postAll(server, "/v1/logs", "application/x-protobuf", bodies, ok),
  },
  {
    name: "loki",
    bodies: batchesOf(makeSamples(EVENTS, base, "loki-"), BATCH).map(lokiJsonBody),
    send: (server, _port, bodies) => postAll(server, "/loki/api/v1/push", "application/json", bodies, ok),
  },
  {
    name: "syslog_tcp",
    bodies: batchesOf(makeSamples(EVENTS, base, "syslog-"), BATCH).map(syslogBody),
    send: async (server, port, bodies, storedAfter) => {
      await syslogAll(port, bodies);
      let stalled = 0;
      for (let n = 0, last = 0; n < storedAfter; last = n) {
        await Bun.sleep(20);
        n = await storedCount(server, prefixed("syslog-"));
        stalled = n === last ? stalled + 1 : 0;
        if (stalled > 1_500) throw new Error(`syslog: ${n} of ${storedAfter} stored, and no more for 30 s`);
      }
    },
  },
];

async function run(label: string, env: Record<string, string>): Promise<Record<string, number>> {
  const syslogPort = 20000 + Math.floor(Math.random() * 20000);
  const server = await startServer({ ...env, SYSLOG_PORT: String(syslogPort) });
  const out: Record<string, number> = {};
  try {
    // Warm-up: JIT, partitions, plans, on every path.
    const warm = makeSamples(2 * BATCH, base, "warm-");
    await postAll(
      server,
      "/api/v1/ingest",
      "application/x-ndjson",
      batchesOf(warm, BATCH).map(nativeBody),
      ok,
    );
    await postAll(server, "/_bulk", "application/x-ndjson", batchesOf(warm, BATCH).map(bulkBody), ok);
    const seconds = new Map(protocols.map((p) => [p.name, 0]));
    for (let turn = 0; turn < TURNS; turn++) {
      for (const p of protocols) {
        const from = Math.floor((p.bodies.length * turn) / TURNS);
        const to = Math.floor((p.bodies.length * (turn + 1)) / TURNS);
        const part = p.bodies.slice(from, to);
        const storedAfter = Math.round((EVENTS * to) / p.bodies.length);
        const started = performance.now();
        await p.send(server, syslogPort, part, storedAfter);
        seconds.set(p.name, seconds.get(p.name)! + (performance.now() - started) / 1000);
      }
    }
    for (const p of protocols) {
      const stored = await storedCount(server, prefixed(`${p.name === "syslog_tcp" ? "syslog" : p.name}-`));
      if (stored !== EVENTS) throw new Error(`${label} ${p.name}: ${stored} of ${EVENTS} stored`);
      out[p.name] = EVENTS / seconds.get(p.name)!;
    }
  } finally {
    await server.stop();
  }
  return out;
}

console.log(
  `bench:protocols on ${machine()}; ${EVENTS} events per protocol, batches of ${BATCH}, ${CONCURRENCY} clients\n`,
);
const targets: [string, string, () => Promise<Record<string, number>>][] = [
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
const json: Record<string, unknown> = { events: EVENTS, batch: BATCH, concurrency: CONCURRENCY };
for (const [key, label, measure] of targets) {
  if (args.only && args.only !== key) continue;
  const rates = await measure();
  const native = rates.native!;
  const result: Record<string, number> = {};
  for (const p of protocols) {
    const rate = rates[p.name]!;
    result[`${p.name}_events_per_s`] = Math.round(rate);
    if (p.name !== "native") result[`${p.name}_ratio`] = Number((rate / native).toFixed(3));
    rows.push({
      target: label,
      protocol: p.name,
      "events/s": Math.round(rate),
      "ratio to native": Number((rate / native).toFixed(2)),
    });
  }
  // The first target's figures are the top-level keys the issue names; each target's under its name.
  if (json.native_events_per_s === undefined) Object.assign(json, result);
  json[key] = result;
}
report(args.json, rows, json);
