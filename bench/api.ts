/**
 * `bun run bench:api [--duration 15s] [--threads 2] [--connections 32] [--events N] [--json FILE]`
 *
 * Requests/s and p99 latency of a cached metrics answer (GET /api/v1/metrics/overview) through the
 * whole middleware stack of a separate LogFlow process: request context, secure headers, body limit,
 * bearer-token auth (an admin token), the rate limiter ON (RATE_LIMIT_SCALE multiplies every limit by
 * 1,000,000 so it does all its work per request yet never refuses), the response cache, telemetry.
 * Against the limit: a bare `Bun.serve` in its own process answering the same JSON body. Both are
 * measured by `wrk` (Debian: `apt-get install -y wrk`) in the same run, one after the other.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTraffic } from "../stream-jobs/generator/traffic.ts";
import { flags, machine, startServer, table, writeJson } from "./lib.ts";

const args = flags({
  duration: { type: "string", default: "15s" },
  threads: { type: "string", default: "2" },
  connections: { type: "string", default: "32" },
  events: { type: "string", default: "20000" },
});
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
  const proc = Bun.spawn(["bun", "-e", code], { stdout: "pipe", stderr: "inherit" });
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

console.log(
  `bench:api on ${machine()}; wrk -t${args.threads} -c${args.connections} -d${args.duration} on the same machine\n`,
);

const dataDir = mkdtempSync(join(tmpdir(), "logflow-bench-api-data-"));
const server = await startServer({
  LOGFLOW_DATA_DIR: dataDir,
  RATE_LIMIT_ENABLED: "true",
  RATE_LIMIT_SCALE: "1000000",
});
try {
  // Something to summarise: recent events from the traffic generator.
  const n = Number(args.events);
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

  // Pre-check: authenticated, limited (the scaled limit in the headers), cached.
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
  console.log(
    `${PATH}: ${body.length.toLocaleString("en-US")} bytes, X-Cache HIT, RateLimit-Limit ${Number(limitHeader).toLocaleString("en-US")}\n`,
  );

  const bare = await startBare(body, res.headers.get("content-type") ?? "application/json");
  try {
    // Warm-up of both (JIT, connections), then the measured runs.
    await wrk(url, server.token, "3s");
    await wrk(bare.url, server.token, "3s");
    const api = await wrk(url, server.token, args.duration);
    const limit = await wrk(bare.url, server.token, args.duration);
    const ratio = api.rps / limit.rps;
    table([
      {
        target: "LogFlow API (auth + rate limit + cache)",
        "requests/s": Math.round(api.rps),
        "p50 ms": api.p50_ms,
        "p99 ms": api.p99_ms,
        requests: api.requests,
        "non-2xx": api.non_2xx,
        "socket errors": api.socket_errors,
      },
      {
        target: "limit: bare Bun.serve, same body",
        "requests/s": Math.round(limit.rps),
        "p50 ms": limit.p50_ms,
        "p99 ms": limit.p99_ms,
        requests: limit.requests,
        "non-2xx": limit.non_2xx,
        "socket errors": limit.socket_errors,
      },
    ]);
    console.log(`\nratio ${ratio.toFixed(3)} (target ≥ 0.5)`);
    if (api.non_2xx) console.log(`warning: ${api.non_2xx} non-2xx answers from the API during the run`);
    writeJson(args.json, {
      api_rps: Math.round(api.rps),
      limit_rps: Math.round(limit.rps),
      ratio: Math.round(ratio * 1000) / 1000,
      p99_ms: api.p99_ms,
      limit_p99_ms: limit.p99_ms,
      non_2xx: api.non_2xx,
      body_bytes: body.length,
      load: `wrk -t${args.threads} -c${args.connections} -d${args.duration}`,
    });
  } finally {
    await bare.stop();
  }
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
