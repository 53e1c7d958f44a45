/**
 * `bun run bench:backup [--events N] [--data-dir DIR] [--json FILE]`
 *
 * The embedded profile's backup while LogFlow serves: a separate LogFlow process on a PGlite data dir
 * holding `--events` events (filled through ingest when it holds fewer; `--data-dir` keeps the filled
 * dir for another run), then `bun run db:backup` as a user runs it, while a client asks /health (one
 * query through the database thread) every 10 ms. Reported: how long the server's queries waited (the
 * longest /health during the backup against the usual one), the backup's time, size and peak memory,
 * the server's memory before and after, and the restore's time and peak memory.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { treeSize } from "../core/adapters/pglite/snapshot.ts";
import { createTraffic } from "../stream-jobs/generator/traffic.ts";
import { flags, machine, percentile, postIngest, report, startServer } from "./lib.ts";

const args = flags({ events: 1_000_000, "data-dir": undefined });
const { events: TARGET } = args;
const ROOT = resolve(import.meta.dir, "..");
const tmp = mkdtempSync(join(tmpdir(), "logflow-bench-backup-"));
const dataDir = resolve(args["data-dir"] ?? join(tmp, "data"));

/** VmRSS and VmHWM of a process, in MiB (0 without /proc). */
function memory(pid: number): { rss: number; hwm: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (name: string) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+)`, "m"))?.[1] ?? 0);
    return { rss: kib("VmRSS") / 1024, hwm: kib("VmHWM") / 1024 };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

/**
 * Run `bun db/cli.ts …` and measure it: wall seconds, CPU seconds and peak RSS in MiB (the largest
 * VmRSS seen, read every 50 ms: Bun's resourceUsage() reports this process's own peak, not the child's).
 */
async function cli(cmd: string[], env: Record<string, string>) {
  const started = performance.now();
  const proc = Bun.spawn(["bun", "db/cli.ts", ...cmd], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: "", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, memory(proc.pid).rss);
  }, 50);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearInterval(sampler);
  if (code !== 0) throw new Error(`db:${cmd[0]} failed (${code}):\n${stdout}\n${stderr}`);
  const usage = proc.resourceUsage();
  return {
    seconds: (performance.now() - started) / 1000,
    cpu: usage ? Number(usage.cpuTime.user + usage.cpuTime.system) / 1e6 : 0,
    peakMiB: peak,
    stdout,
  };
}

const server = await startServer({ LOGFLOW_DATA_DIR: dataDir, LOG_LEVEL: "error" });
const pid = Number(readFileSync(join(dataDir, "pglite.pid"), "utf8"));
try {
  const auth = { authorization: `Bearer ${server.token}` };
  const count = async () =>
    (
      (await (await fetch(`${server.url}/api/v1/logs/search?limit=1`, { headers: auth })).json()) as {
        total: number;
      }
    ).total;
  let stored = await count();
  if (stored < TARGET) {
    const missing = TARGET - stored;
    console.log(`filling ${dataDir}: ${missing.toLocaleString("en-US")} events through ingest…`);
    const traffic = createTraffic({
      seed: 11,
      rate: Math.max(100, missing / 3_600),
      start: Date.now() - 3_600_000,
    });
    const payloads: string[] = [];
    for (let left = missing; left > 0; left -= 5_000) {
      payloads.push(JSON.stringify(traffic.batch(Math.min(5_000, left))));
    }
    const filled = await postIngest(server, payloads, 2);
    console.log(`  ${filled.accepted.toLocaleString("en-US")} events in ${filled.seconds.toFixed(0)} s`);
    stored = await count();
  }
  const files = treeSize(join(dataDir, "pglite"));

  // The probe: /health runs `select 1` through the database thread, so it waits whenever queries wait.
  const samples: { at: number; ms: number }[] = [];
  let probing = true;
  const probe = (async () => {
    while (probing) {
      const t = performance.now();
      await fetch(`${server.url}/health`);
      samples.push({ at: t, ms: performance.now() - t });
      await Bun.sleep(10);
    }
  })();
  await Bun.sleep(3_000);
  const before = memory(pid);
  const backupStart = performance.now();
  const archive = join(tmp, "backup.tar.gz");
  const backup = await cli(["backup", "--out", archive], { LOGFLOW_DATA_DIR: dataDir });
  const backupEnd = performance.now();
  await Bun.sleep(1_000);
  probing = false;
  await probe;
  const after = memory(pid);

  const baseline = samples
    .filter((s) => s.at < backupStart)
    .map((s) => s.ms)
    .sort((a, b) => a - b);
  const window = samples.filter((s) => s.at >= backupStart && s.at <= backupEnd);
  const during = window.map((s) => s.ms).sort((a, b) => a - b);
  const slowest = window.reduce((a, b) => (b.ms > a.ms ? b : a), { at: backupStart, ms: 0 });
  const locked = Number(backup.stdout.match(/paused its queries for (\d+) ms/)?.[1] ?? Number.NaN);

  const restore = await cli(["restore", archive], { LOGFLOW_DATA_DIR: join(tmp, "restored") });
  const mib = (bytes: number) => bytes / 1_048_576;
  const result = {
    events: stored,
    database_mib: mib(files.bytes),
    database_files: files.files,
    archive_mib: mib(statSync(archive).size),
    queries_held_ms: locked,
    health_p50_ms: percentile(baseline, 50),
    health_p50_during_backup_ms: percentile(during, 50),
    health_p99_during_backup_ms: percentile(during, 99),
    health_max_during_backup_ms: during.at(-1) ?? Number.NaN,
    health_max_at_s_into_backup: (slowest.at - backupStart) / 1000,
    backup_seconds: backup.seconds,
    backup_cpu_seconds: backup.cpu,
    backup_peak_rss_mib: backup.peakMiB,
    server_rss_mib_before: before.rss,
    server_rss_mib_after: after.rss,
    server_peak_rss_mib_after: after.hwm,
    restore_seconds: restore.seconds,
    restore_peak_rss_mib: restore.peakMiB,
  };
  console.log(`\nbench:backup on ${machine()}\n`);
  report(
    args.json,
    Object.entries(result).map(([measure, value]) => ({ measure, value })),
    { benchmark: "backup", ...result },
  );
} finally {
  await server.stop();
  rmSync(tmp, { recursive: true, force: true });
}
