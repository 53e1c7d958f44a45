/**
 * `bun run bench:ingest-blocking [--rounds N] [--json FILE]`
 *
 * How long one ingest request holds the API's event loop at a stretch (issue #17: never more than
 * ~50 ms on any one body): the whole app served over HTTP by this process (auth, body reading,
 * parsing, validation, pattern ids, the store write on embedded PGlite in its own thread), each body
 * sent by `curl` from another process as a shipper would (with its Content-Length), while a 1 ms timer
 * here notes the longest gap between its ticks. Bodies: 10 MB of ordinary events (10,000), a batch
 * with one event nested 50,000 deep, and a million nested arrays.
 *
 * On a shared machine a gap also holds the time the thread waited for a CPU: on Linux the table says
 * how much of the longest gap the thread itself ran (from /proc/self/task/<tid>/schedstat), which is
 * the part the code is answerable for; the idle row is the machine's own noise in the same run.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../core/config.ts";
import { createApp } from "../edge-api/app.ts";
import { createTraffic } from "../stream-jobs/generator/traffic.ts";
import { login } from "../tests/helpers/login.ts";
import { startRuntime } from "../workers/bun/runtime.ts";
import { flags, machine, report } from "./lib.ts";

const args = flags({ rounds: 3 });

/** Nanoseconds this thread has run so far (the event loop's thread), or null off Linux. */
const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;
const ranNs = existsSync(SCHEDSTAT) ? () => Number(readFileSync(SCHEDSTAT, "utf8").split(" ")[0]) : null;

const config = loadConfig({
  LOGFLOW_DATA_DIR: "memory://",
  LOG_LEVEL: "error",
  BCRYPT_ROUNDS: "4",
  ADMIN_PASSWORD: "bench-password",
  RATE_LIMIT_ENABLED: "false",
});
const runtime = await startRuntime(config, { retention: false });
const app = createApp(runtime.deps);
const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch: app.fetch,
  // As workers/bun/serve.ts serves it.
  maxRequestBodySize: config.INGEST_MAX_BODY_BYTES + 1024 * 1024,
  idleTimeout: 60,
});
const dir = mkdtempSync(join(tmpdir(), "logflow-blocking-"));
try {
  const access_token = await login(app.request, "admin", "bench-password");

  const traffic = createTraffic({ seed: 3, rate: 1000, start: Date.now() - 60_000 });
  const events = traffic
    .batch(10_000)
    .map((e) => ({ ...e, message: `${e.message} ${"detail ".repeat(75)}` }));
  const deep = `${'{"a":'.repeat(50_000)}1${"}".repeat(50_000)}`;
  const bodies: Record<string, string | null> = {
    "none (idle for 300 ms: the machine's own noise)": null,
    "10,000 events, 10 MB": JSON.stringify(events),
    "3 events, one nested 50,000 deep": `[${JSON.stringify(events[0])},{"service":"x","message":"m","p":${deep}},${JSON.stringify(events[1])}]`,
    "a million nested arrays": `[${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}]`,
  };

  /** One body sent by curl from its own process; its HTTP status. */
  const send = async (file: string): Promise<number> => {
    const curl = Bun.spawn(
      [
        "curl",
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-H",
        "content-type: application/json",
        "-H",
        `authorization: Bearer ${access_token}`,
        "--data-binary",
        `@${file}`,
        `${server.url}api/v1/ingest`,
      ],
      { stdout: "pipe" },
    );
    const status = Number(await new Response(curl.stdout).text());
    await curl.exited;
    return status;
  };

  const rows: Record<string, string | number>[] = [];
  const results: Record<
    string,
    { longest_block_ms: number; longest_block_ran_ms: number | null; request_ms: number; status: number }
  > = {};
  for (const [i, [name, body]] of Object.entries(bodies).entries()) {
    const file = join(dir, `body-${i}.json`);
    if (body !== null) writeFileSync(file, body);
    let longest = 0;
    let longestRan: number | null = null;
    let total = 0;
    let status = 0;
    for (let round = 0; round < args.rounds; round++) {
      let last = performance.now();
      let lastRan = ranNs?.() ?? 0;
      let gap = 0;
      let gapRan = 0;
      const timer = setInterval(() => {
        const now = performance.now();
        const ran = ranNs?.() ?? 0;
        if (now - last > gap) {
          gap = now - last;
          gapRan = (ran - lastRan) / 1e6;
        }
        last = now;
        lastRan = ran;
      }, 1);
      await Bun.sleep(5);
      gap = 0;
      last = performance.now();
      lastRan = ranNs?.() ?? 0;
      const started = performance.now();
      if (body === null) await Bun.sleep(300);
      else status = await send(file);
      total = Math.max(total, performance.now() - started);
      await Bun.sleep(5);
      clearInterval(timer);
      if (gap > longest) {
        longest = gap;
        longestRan = ranNs ? gapRan : null;
      }
    }
    rows.push({
      body: name,
      MB: Math.round(((body?.length ?? 0) / 2 ** 20) * 10) / 10,
      status,
      "longest block (ms)": Math.round(longest),
      "of which it ran (ms)": longestRan === null ? "n/a" : Math.round(longestRan),
      "request (ms)": Math.round(total),
    });
    results[name] = {
      longest_block_ms: Math.round(longest),
      longest_block_ran_ms: longestRan === null ? null : Math.round(longestRan),
      request_ms: Math.round(total),
      status,
    };
  }
  console.log(`bench:ingest-blocking on ${machine()}; worst of ${args.rounds} rounds\n`);
  report(args.json, rows, { benchmark: "ingest-blocking", rounds: args.rounds, results });
} finally {
  server.stop(true);
  await runtime.close();
  rmSync(dir, { recursive: true, force: true });
}
