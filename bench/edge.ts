/**
 * `bun run bench:edge [--requests N] [--database URL] [--json FILE]`
 *
 * CPU time per request of the Worker in workerd (`wrangler dev --local`, as tests/edge/workerd.test.ts
 * runs it), on a warm isolate: the CPU the workerd process used while answering N requests of each
 * kind (default 2,000), divided by N. Read from /proc (Linux), so it counts what the isolate did per
 * request (building the app and the request's dependencies, routing, middleware, the handler), not the
 * network. The answers measured need no I/O, so the time is LogFlow's own (Workers' free plan allows
 * 10 ms of CPU per request). A trivial Worker (a fixed answer) is measured the same way first: what
 * workerd itself spends per request, here about as much as LogFlow's own share. Reported per path; the
 * key `cpu_ms_per_request` is LogFlow's mean over the paths without I/O minus the trivial Worker's.
 * With `--database URL` the Worker runs with that DATABASE_URL (as deployed): /health then runs a
 * query through a connection of its own, reported apart and left out of the mean.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { flags, table, writeJson } from "./lib.ts";

const args = flags({ requests: 2_000, database: undefined });
const { requests: N } = args;
const ROOT = resolve(import.meta.dir, "..");
const SECRET = "bench-edge-secret-0123456789abcdef0123456789";

const PATHS = [
  args.database
    ? { path: "/health", what: "health (a query: excluded from the mean)", io: true }
    : { path: "/health", what: "health (no database: 503)", io: false },
  { path: "/api/v1/logs/search?query=error", what: "search without a token (401)", io: false },
  { path: "/api/v1/nope", what: "unknown route (404)", io: false },
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

/** The limit underneath: a Worker that answers every request with a fixed JSON body, in the same workerd. */
function trivialWorker(): string {
  const dir = mkdtempSync(join(tmpdir(), "logflow-bench-edge-"));
  writeFileSync(
    join(dir, "index.js"),
    'export default { async fetch() { return new Response(\'{"ok":true}\', { status: 404, headers: { "content-type": "application/json" } }); } };\n',
  );
  writeFileSync(
    join(dir, "wrangler.toml"),
    'name = "trivial"\nmain = "index.js"\ncompatibility_date = "2025-01-01"\n',
  );
  return dir;
}

type Row = { worker: string; path: string; what: string; requests: number; cpu_ms_per_request: number };

/** Start `wrangler dev` in `cwd`, measure each path, stop it; the mean of the paths without I/O. */
async function measure(worker: string, cwd: string, vars: string[]): Promise<{ rows: Row[]; mean: number }> {
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
      ...vars.flatMap((v) => ["--var", v]),
    ],
    {
      cwd,
      env: {
        ...process.env,
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
        WRANGLER_SEND_METRICS: "false",
        FORCE_COLOR: "0",
      },
      detached: true,
      stdio: ["ignore", "ignore", "ignore"],
    },
  );
  const pgid = child.pid ?? 0;
  const stop = () => {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {}
  };
  process.once("exit", stop);
  try {
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 90_000;
    for (;;) {
      const up = await fetch(`${base}/health`).then(
        () => true,
        () => false,
      );
      if (up) break;
      if (Date.now() > deadline) throw new Error(`${worker}: workerd did not answer within 90 s`);
      await Bun.sleep(250);
    }
    /** `n` requests to `path`, 4 at a time. */
    const hit = async (path: string, n: number) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (next < n) {
            next++;
            await (await fetch(`${base}${path}`)).arrayBuffer();
          }
        }),
      );
    };
    const rows: Row[] = [];
    const counted: number[] = [];
    for (const { path, what, io } of PATHS) {
      await hit(path, 200); // warm: the isolate's first requests build what it keeps
      const before = cpuOfGroup(pgid, "workerd");
      await hit(path, N);
      const ms = Math.round(((cpuOfGroup(pgid, "workerd") - before) / N) * 1000 * 100) / 100;
      rows.push({ worker, path, what, requests: N, cpu_ms_per_request: ms });
      if (!io) counted.push(ms);
    }
    return { rows, mean: counted.reduce((a, b) => a + b, 0) / counted.length };
  } finally {
    stop();
  }
}

const trivial = await measure("trivial", trivialWorker(), []);
const logflow = await measure("logflow", ROOT, [
  `SECRET_KEY:${SECRET}`,
  "ENVIRONMENT:production",
  "LOG_LEVEL:error",
  ...(args.database ? [`DATABASE_URL:${args.database}`] : []),
]);
const round = (v: number) => Math.round(v * 100) / 100;
table([...trivial.rows, ...logflow.rows]);
const own = round(logflow.mean - trivial.mean);
console.log(
  `\nworkerd CPU per request (mean of the paths without I/O): LogFlow ${round(logflow.mean)} ms, a trivial Worker ${round(trivial.mean)} ms` +
    `\ncpu_ms_per_request (LogFlow's own: the difference): ${own}`,
);
writeJson(args.json, {
  cpu_ms_per_request: own,
  workerd_cpu_ms_per_request: round(logflow.mean),
  trivial_worker_cpu_ms_per_request: round(trivial.mean),
  requests_per_path: N,
  database: Boolean(args.database),
  paths: [...trivial.rows, ...logflow.rows],
});
process.exit(0);
