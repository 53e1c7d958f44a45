/**
 * `bun run bench:memory [--concurrency 12] [--body-mb 10] [--idle 60] [--json FILE]`
 *
 * Memory of the embedded server (one process: API + PGlite thread) through a burst of big ingests:
 * `--concurrency` requests of `--body-mb` MB of JSON each, all at once (a 503 is waited out and sent
 * again, as shippers do), then `--idle` seconds without requests. Reports the resident set before,
 * its peak during the burst (the kernel's high-water mark, VmHWM) and what is left after the idle time
 * (issue #17: peak ≤ 1.5 GB for 12 × 10 MB, ≤ 600 MB 60 s after). Linux only (reads /proc).
 *
 * The burst's peak is its own: the high-water mark is reset before the burst (clear_refs), because a
 * fresh data directory's first start (initdb in the database thread) peaks near 1 GB by itself; that
 * start-up peak is reported beside it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTraffic } from "../stream-jobs/generator/traffic.ts";
import { flags, machine, postIngest, report, startServer } from "./lib.ts";

const args = flags({ concurrency: 12, "body-mb": 10, idle: 60 });
const { concurrency, idle: idleSeconds } = args;
const bodyBytes = args["body-mb"] * 1024 * 1024;

/** VmRSS and VmHWM of a process, in MB. */
function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name: string) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, "m"))?.[1] ?? 0);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
}

/**
 * Reset the kernel's high-water mark of a process's resident set to its current size (Linux 4.0+:
 * writing 5 to clear_refs); false where that is refused, and then the peak includes what came before.
 */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** One body of about `bodyBytes` of JSON: realistic events, messages padded to ~1 KB (the event limit is 10,000). */
function body(seed: number): string {
  const traffic = createTraffic({ seed, rate: 1000, start: Date.now() - 60_000 });
  const events: unknown[] = [];
  let size = 2;
  while (size < bodyBytes - 2048 && events.length < 10_000) {
    const e = { ...traffic.batch(1)[0]! } as Record<string, unknown>;
    const message = String(e.message);
    e.message = `${message} ${"detail ".repeat(Math.max(0, Math.floor((1000 - message.length) / 7)))}`.trim();
    const text = JSON.stringify(e);
    if (size + text.length + 1 > bodyBytes) break;
    events.push(e);
    size += text.length + 1;
  }
  return JSON.stringify(events);
}

const dir = mkdtempSync(join(tmpdir(), "logflow-bench-memory-"));
const server = await startServer({ LOGFLOW_DATA_DIR: dir });
try {
  const payloads = Array.from({ length: concurrency }, (_, i) => body(100 + i));
  const mb = payloads.reduce((s, p) => s + p.length, 0) / 2 ** 20;
  // A small ingest first, so that "before" is the server warmed up, not the server just started.
  await postIngest(server, [JSON.stringify([{ service: "warm", message: "up" }])], 1);
  await Bun.sleep(2000);
  const before = memoryOf(server.pid);
  const ownPeak = resetPeak(server.pid);

  let sampled = before.rss;
  const sampler = setInterval(() => {
    sampled = Math.max(sampled, memoryOf(server.pid).rss);
  }, 50);
  const burst = await postIngest(server, payloads, concurrency);
  clearInterval(sampler);
  const after = memoryOf(server.pid);
  const peak = Math.max(after.hwm, sampled);

  await Bun.sleep(idleSeconds * 1000);
  const idle = memoryOf(server.pid);

  const rows = [
    { moment: "peak while starting (a fresh data directory)", rss_mb: before.hwm },
    { moment: "before the burst (warmed up)", rss_mb: before.rss },
    {
      moment: `peak during ${concurrency} × ${args["body-mb"]} MB at once${ownPeak ? "" : " (and start-up)"}`,
      rss_mb: peak,
    },
    { moment: "right after the burst", rss_mb: after.rss },
    { moment: `after ${idleSeconds} s idle`, rss_mb: idle.rss },
  ];
  console.log(`\nbench:memory — embedded server, ${machine()}`);
  console.log(
    `${concurrency} concurrent ingests, ${mb.toFixed(0)} MB of JSON, ${burst.accepted} events accepted in ${burst.seconds.toFixed(1)} s (${burst.refused} answers 503, sent again)\n`,
  );
  report(
    args.json,
    rows.map((r) => ({ ...r, rss_mb: Math.round(r.rss_mb) })),
    {
      benchmark: "memory",
      concurrency,
      body_mb: args["body-mb"],
      events_accepted: burst.accepted,
      refused_503: burst.refused,
      burst_seconds: burst.seconds,
      idle_seconds: idleSeconds,
      startup_peak_rss_mb: Math.round(before.hwm),
      before_rss_mb: Math.round(before.rss),
      peak_rss_mb: Math.round(peak),
      peak_includes_startup: !ownPeak,
      after_burst_rss_mb: Math.round(after.rss),
      idle_rss_mb: Math.round(idle.rss),
    },
  );
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
