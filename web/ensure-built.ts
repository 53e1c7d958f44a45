/**
 * Build the dashboard (web/build.ts) when web/dist is missing or older than what it is built from:
 * `bun run dev` on a fresh clone serves the real dashboard, and the browser suites share one build.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const DIST = resolve(ROOT, "web/dist");

/** `bun run build`, quietly; throws with Vite's output when it fails. */
export async function buildDashboard(): Promise<void> {
  const proc = Bun.spawn(["bun", "web/build.ts"], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, CI: "1" },
  });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) throw new Error(`bun run build failed (${code}):\n${out}\n${err}`);
}

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let n = 0;
  for (const e of readdirSync(path)) n = Math.max(n, newest(join(path, e)));
  return n;
}

/** Whether web/dist is missing or older than its sources. */
export function dashboardStale(): boolean {
  const index = join(DIST, "index.html");
  const sources = ["web/src", "web/index.html", "web/vite.config.ts", "package.json"].map((p) =>
    resolve(ROOT, p),
  );
  return !existsSync(index) || statSync(index).mtimeMs < Math.max(...sources.map(newest));
}

/** Build unless web/dist is newer than everything it is built from. */
export async function ensureBuilt(): Promise<void> {
  if (dashboardStale()) await buildDashboard();
}
