/**
 * `bun run bench:api [--duration 5s] [--rounds 9] [--threads 2] [--connections 32] [--events N] [--json FILE]`
 *
 * Requests/s and p99 latency of a cached metrics answer (GET /api/v1/metrics/overview) through the
 * whole middleware stack of a separate LogFlow API process: request context, secure headers, body limit,
 * bearer-token auth (an admin token), the rate limiter ON (RATE_LIMIT_SCALE multiplies every limit by
 * 1,000,000 so it does all its work per request yet never refuses), the response cache, telemetry.
 * Two API processes are measured: on the embedded default (PGlite, in its own thread) and on Postgres
 * (the cluster profile's API role). Against the limit: a bare `Bun.serve` in its own process answering
 * the same JSON body. All three are measured by `wrk` (Debian: `apt-get install -y wrk`) in the same
 * run, taking turns for `--rounds` rounds, and the medians are compared: a shared machine's speed drifts
 * over a minute, and measuring one target after the other would put that drift into the ratio.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTraffic } from "../stream-jobs/generator/traffic.ts";
import { flags, freshDatabase, machine, ROLE_ENV, report, type Server, startServer } from "./lib.ts";

const args = flags({ duration: "5s", rounds: 9, threads: 2, connections: 32, events: 20_000 });
const PATH = "/api/v1/metrics/overview";

if (!Bun.which("wrk")) {
  console.error(
    "bench:api needs wrk on PATH (Debian/Ubuntu: apt-get install -y wrk; macOS: brew install wrk)",
  );
  process.exit(1);
}

interface WrkResult {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  requests: number;
  non_2xx: number;
  socket_errors: number;
}

const MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function latency(text: string, pct: string): number {
  const m = text.match(new RegExp(`^\\s*${pct}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, "m"));
  if (!m) throw new Error(`no ${pct}% line in wrk's output:\n${text}`);
  return Number(m[1]) * MS[m[2]!]!;
}

async function wrk(url: string, token: string, duration: string): Promise<WrkResult> {
  const proc = Bun.spawn(
    [
      "wrk",
      `-t${args.threads}`,
      `-c${args.connections}`,
      `-d${duration}`,
      "--latency",
      "-H",
      `Authorization: Bearer ${token}`,
      url,
    ],
    { stdout: "pipe", stderr: "inherit" },
  );
  const text = await new Response(proc.stdout).text();
  if ((await proc.exited) !== 0) throw new Error(`wrk failed:\n${text}`);
  const rps = text.match(/^Requests\/sec:\s+([\d.]+)/m);
  const total = text.match(/^\s*(\d+) requests in/m);
  if (!rps || !total) throw new Error(`unexpected wrk output:\n${text}`);
  const sock = text.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  return {
    rps: Number(rps[1]),
    p50_ms: latency(text, "50"),
    p99_ms: latency(text, "99"),
    requests: Number(total[1]),
    non_2xx: Number(text.match(/Non-2xx or 3xx responses:\s+(\d+)/)?.[1] ?? 0),
    socket_errors: sock ? sock.slice(1).reduce((s, n) => s + Number(n), 0) : 0,
  };
}

/** The limit: Bun.serve in its own process answering the same bytes with the same content type. */
async function startBare(body: string, contentType: string): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "logflow-bench-api-"));
  const file = join(dir, "body.json");
  await Bun.write(file, body);
  const code = `const body = await Bun.file(${JSON.stringify(file)}).text();
const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () =>
  new Response(body, { headers: { "content-type": ${JSON.stringify(contentType)} } }) });
console.log(server.port);`;
  // The same runtime settings as LogFlow's processes, so that the ratio compares the code alone.
  const proc = Bun.spawn(["bun", "-e", code], {
    env: { ...process.env, ...ROLE_ENV },
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = proc.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  const port = Number(new TextDecoder().decode(value).trim());
  if (!port) throw new Error("the bare Bun.serve did not start");
  return {
    url: `http://127.0.0.1:${port}${PATH}`,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Recent events from the traffic generator, for the overview to summarise. */
async function ingest(server: Server, n: number): Promise<void> {
  const traffic = createTraffic({ seed: 11, rate: Math.max(100, n / 600), start: Date.now() - 11 * 60_000 });
  for (let i = 0; i < n; i += 1000) {
    const res = await fetch(`${server.url}/api/v1/ingest`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${server.token}` },
      body: JSON.stringify(traffic.batch(Math.min(1000, n - i))),
    });
    if (!res.ok) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
  }
  await Bun.sleep(500); // the queue commits
}

/** Check the answer is authenticated, limited (the scaled limit in the headers) and cached; return it. */
async function precheck(server: Server): Promise<{ body: string; contentType: string }> {
  const url = `${server.url}${PATH}`;
  const get = () => fetch(url, { headers: { authorization: `Bearer ${server.token}` } });
  await get();
  const res = await get();
  const body = await res.text();
  const limitHeader = res.headers.get("ratelimit-limit");
  if (res.status !== 200) throw new Error(`${PATH} answered ${res.status}: ${body}`);
  if (res.headers.get("x-cache") !== "HIT")
    throw new Error(`expected X-Cache: HIT, got ${res.headers.get("x-cache")}`);
  if (!limitHeader || Number(limitHeader) < 1_000_000)
    throw new Error(`expected a scaled RateLimit-Limit, got ${limitHeader}`);
  return { body, contentType: res.headers.get("content-type") ?? "application/json" };
}

console.log(
  `bench:api on ${machine()}; wrk -t${args.threads} -c${args.connections} -d${args.duration}, ${args.rounds} rounds taking turns, on the same machine\n`,
);

const dataDir = mkdtempSync(join(tmpdir(), "logflow-bench-api-data-"));
const database = await freshDatabase("logflow_bench_api");
const env = { RATE_LIMIT_ENABLED: "true", RATE_LIMIT_SCALE: "1000000" };
const servers: Server[] = [];
let bare: Awaited<ReturnType<typeof startBare>> | undefined;
try {
  const embedded = await startServer({ ...env, LOGFLOW_DATA_DIR: dataDir });
  servers.push(embedded);
  const clustered = await startServer({ ...env, DATABASE_URL: database.url });
  servers.push(clustered);
  for (const s of servers) await ingest(s, args.events);
  const answers = await Promise.all(servers.map(precheck));
  const { body, contentType } = answers[0]!;
  console.log(
    `${PATH}: ${body.length.toLocaleString("en-US")} bytes, X-Cache HIT, RateLimit-Limit scaled to ${(100 * 1_000_000).toLocaleString("en-US")}\n`,
  );
  bare = await startBare(body, contentType);

  const targets = [
    {
      name: "LogFlow API, embedded (auth + rate limit + cache)",
      url: `${embedded.url}${PATH}`,
      token: embedded.token,
    },
    {
      name: "LogFlow API, Postgres (auth + rate limit + cache)",
      url: `${clustered.url}${PATH}`,
      token: clustered.token,
    },
    { name: "limit: bare Bun.serve, same body", url: bare.url, token: embedded.token },
  ];
  // Warm-up of each (JIT, connections), then the measured rounds.
  for (const t of targets) await wrk(t.url, t.token, "5s");
  const runs: WrkResult[][] = targets.map(() => []);
  for (let r = 0; r < args.rounds; r++)
    for (const [i, t] of targets.entries()) runs[i]!.push(await wrk(t.url, t.token, args.duration));

  const summary = runs.map((rs) => ({
    rps: median(rs.map((x) => x.rps)),
    p50_ms: median(rs.map((x) => x.p50_ms)),
    p99_ms: median(rs.map((x) => x.p99_ms)),
    requests: rs.reduce((n, x) => n + x.requests, 0),
    non_2xx: rs.reduce((n, x) => n + x.non_2xx, 0),
    socket_errors: rs.reduce((n, x) => n + x.socket_errors, 0),
    spread: `${Math.round(Math.min(...rs.map((x) => x.rps)))}–${Math.round(Math.max(...rs.map((x) => x.rps)))}`,
  }));
  const [api, pg, limit] = summary as [(typeof summary)[0], (typeof summary)[0], (typeof summary)[0]];
  const rows = targets.map((t, i) => ({
    target: t.name,
    "requests/s (median)": Math.round(summary[i]!.rps),
    "rounds' range": summary[i]!.spread,
    "p50 ms": summary[i]!.p50_ms,
    "p99 ms": summary[i]!.p99_ms,
    requests: summary[i]!.requests,
    "non-2xx": summary[i]!.non_2xx,
    "socket errors": summary[i]!.socket_errors,
  }));
  const ratio = api.rps / limit.rps;
  const pgRatio = pg.rps / limit.rps;
  report(args.json, rows, {
    api_rps: Math.round(api.rps),
    limit_rps: Math.round(limit.rps),
    ratio: Math.round(ratio * 1000) / 1000,
    p99_ms: api.p99_ms,
    postgres_api_rps: Math.round(pg.rps),
    postgres_ratio: Math.round(pgRatio * 1000) / 1000,
    postgres_p99_ms: pg.p99_ms,
    limit_p99_ms: limit.p99_ms,
    non_2xx: api.non_2xx + pg.non_2xx,
    body_bytes: body.length,
    load: `wrk -t${args.threads} -c${args.connections} -d${args.duration} × ${args.rounds} rounds, medians`,
  });
  console.log(`\nratio ${ratio.toFixed(3)} embedded, ${pgRatio.toFixed(3)} on Postgres (target ≥ 0.5)`);
  if (api.non_2xx || pg.non_2xx) console.log("warning: non-2xx answers from the API during the run");
} finally {
  await bare?.stop();
  for (const s of servers) await s.stop();
  await database.drop();
  rmSync(dataDir, { recursive: true, force: true });
}
