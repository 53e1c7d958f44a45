/**
 * `bun run bench:edge [--requests N] [--json FILE]`
 *
 * CPU time per request of the Worker in workerd (`wrangler dev --local`, as tests/edge/workerd.test.ts
 * runs it), on a warm isolate: the CPU the workerd process used while answering N requests of each
 * kind (default 2,000), divided by N. Read from /proc (Linux), so it counts what the isolate did per
 * request (building the app and the request's dependencies, routing, middleware, the handler), not the
 * network. No database: the answers need no I/O, so the time is LogFlow's own (Workers' free plan
 * allows 10 ms of CPU per request). Reported per path and as `cpu_ms_per_request`, their mean.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { flags, table, writeJson } from "./lib.ts";

const args = flags({ requests: { type: "string", default: "2000" } });
const N = Number(args.requests);
const ROOT = resolve(import.meta.dir, "..");
const SECRET = "bench-edge-secret-0123456789abcdef0123456789";

const PATHS = [
  { path: "/health", what: "health (no database: 503)" },
  { path: "/api/v1/logs/search?query=error", what: "search without a token (401)" },
  { path: "/api/v1/nope", what: "unknown route (404)" },
];

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => ok(typeof a === "object" && a ? a.port : 0));
    });
  });
}

/** CPU seconds (user + system) of the processes named `name` in process group `pgid`. */
function cpuOfGroup(pgid: number, name: string): number {
  let sum = 0;
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (comm !== name || Number(f[2]) !== pgid) continue;
      sum += (Number(f[11]) + Number(f[12])) / 100; // utime + stime, USER_HZ 100
    } catch {}
  }
  return sum;
}

if (!existsSync("/proc")) throw new Error("bench:edge reads CPU time from /proc (Linux only)");
const wrangler = resolve(ROOT, "node_modules/wrangler/bin/wrangler.js");
mkdirSync(resolve(ROOT, "web/dist"), { recursive: true });
const port = await freePort();
const inspector = await freePort();
const child: ChildProcess = spawn(
  "node",
  [
    wrangler,
    "dev",
    "--local",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(inspector),
    "--show-interactive-dev-session=false",
    "--var",
    `SECRET_KEY:${SECRET}`,
    "--var",
    "ENVIRONMENT:production",
    "--var",
    "LOG_LEVEL:error",
  ],
  {
    cwd: ROOT,
    env: {
      ...process.env,
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_SEND_METRICS: "false",
      FORCE_COLOR: "0",
    },
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
  },
);
const pgid = child.pid ?? 0;
const stop = () => {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {}
};
process.once("exit", stop);

const base = `http://127.0.0.1:${port}`;
const deadline = Date.now() + 90_000;
for (;;) {
  const up = await fetch(`${base}/health`).then(
    () => true,
    () => false,
  );
  if (up) break;
  if (Date.now() > deadline) throw new Error("workerd did not answer within 90 s");
  await Bun.sleep(250);
}

/** `n` requests to `path`, 4 at a time. */
async function hit(path: string, n: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < n) {
        next++;
        const res = await fetch(`${base}${path}`);
        await res.arrayBuffer();
      }
    }),
  );
}

const rows: { path: string; what: string; requests: number; cpu_ms_per_request: number }[] = [];
for (const { path, what } of PATHS) {
  await hit(path, 200); // warm: the isolate's first requests build what it keeps
  const before = cpuOfGroup(pgid, "workerd");
  await hit(path, N);
  const cpu = cpuOfGroup(pgid, "workerd") - before;
  rows.push({ path, what, requests: N, cpu_ms_per_request: Math.round((cpu / N) * 1000 * 100) / 100 });
}
stop();

table(rows);
const mean = Math.round((rows.reduce((s, r) => s + r.cpu_ms_per_request, 0) / rows.length) * 100) / 100;
console.log(`\ncpu_ms_per_request (mean of the paths): ${mean}`);
writeJson(args.json, { cpu_ms_per_request: mean, requests_per_path: N, paths: rows });
process.exit(0);
