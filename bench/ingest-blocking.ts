/**
 * `bun run bench:ingest-blocking [--json FILE]`
 *
 * How long one ingest request holds the API's event loop at a stretch (issue #17: never more than
 * ~50 ms on any one body), through the whole app in this process (auth, body reading, parsing,
 * validation, the store write on embedded PGlite in its own thread): the longest gap between the
 * ticks of a 1 ms timer while each body is ingested. Bodies: 10 MB of ordinary events (10,000), a
 * batch with one event nested 50,000 deep, and a million nested arrays.
 */
import { loadConfig } from "../core/config.ts";
import { createApp } from "../edge-api/app.ts";
import { createTraffic } from "../stream-jobs/generator/traffic.ts";
import { login } from "../tests/helpers/login.ts";
import { startRuntime } from "../workers/bun/runtime.ts";
import { flags, machine, report } from "./lib.ts";

const args = flags({ rounds: 3 });

const runtime = await startRuntime(
  loadConfig({
    LOGFLOW_DATA_DIR: "memory://",
    LOG_LEVEL: "error",
    BCRYPT_ROUNDS: "4",
    ADMIN_PASSWORD: "bench-password",
    RATE_LIMIT_ENABLED: "false",
  }),
  { retention: false },
);
const app = createApp(runtime.deps);
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

  const rows: Record<string, string | number>[] = [];
  const results: Record<string, { longest_block_ms: number; request_ms: number; status: number }> = {};
  for (const [name, body] of Object.entries(bodies)) {
    let longest = 0;
    let total = 0;
    let status = 0;
    for (let round = 0; round < args.rounds; round++) {
      let last = performance.now();
      let gap = 0;
      const timer = setInterval(() => {
        const now = performance.now();
        gap = Math.max(gap, now - last);
        last = now;
      }, 1);
      await Bun.sleep(5);
      gap = 0;
      last = performance.now();
      const started = performance.now();
      if (body === null) await Bun.sleep(300);
      else {
        const res = await app.request("/api/v1/ingest", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${access_token}` },
          body,
        });
        await res.text();
        status = res.status;
      }
      total = Math.max(total, performance.now() - started);
      await Bun.sleep(5);
      clearInterval(timer);
      longest = Math.max(longest, gap);
    }
    rows.push({
      body: name,
      MB: Math.round(((body?.length ?? 0) / 2 ** 20) * 10) / 10,
      status,
      "longest block (ms)": Math.round(longest),
      "request (ms)": Math.round(total),
    });
    results[name] = { longest_block_ms: Math.round(longest), request_ms: Math.round(total), status };
  }
  console.log(`bench:ingest-blocking on ${machine()}; worst of ${args.rounds} rounds\n`);
  report(args.json, rows, { benchmark: "ingest-blocking", rounds: args.rounds, results });
} finally {
  await runtime.close();
}
