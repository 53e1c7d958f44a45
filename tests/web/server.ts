import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { createApp } from "../../edge-api/app.ts";
import { staticAssets } from "../../workers/bun/assets.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";

export const ROOT = resolve(import.meta.dir, "../..");
export const DIST = resolve(ROOT, "web/dist");
/** Screenshots and downloads of the browser suite (git-ignored). */
export const ARTIFACTS = resolve(ROOT, "tests/artifacts/web");

/** `bun run build`, so the suite always drives the dashboard as it is in the tree. */
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
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let n = 0;
  for (const e of readdirSync(path)) n = Math.max(n, newest(join(path, e)));
  return n;
}

/** Build unless web/dist is newer than everything it is built from (the suites share one build). */
export async function ensureBuilt(): Promise<void> {
  const index = join(DIST, "index.html");
  const sources = ["web/src", "web/index.html", "web/vite.config.ts", "package.json"].map((p) =>
    resolve(ROOT, p),
  );
  if (existsSync(index) && statSync(index).mtimeMs >= Math.max(...sources.map(newest))) return;
  await buildDashboard();
}

export interface Served {
  t: TestApp;
  url: string;
  close(): Promise<void>;
}

/** The real API over PGlite with the built dashboard, on a real socket (a browser needs one). */
export async function serveDashboard(): Promise<Served> {
  const t = await startTestApp();
  t.runtime.deps.assets = staticAssets(DIST);
  const app = createApp(t.runtime.deps);
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
  return {
    t,
    url: `http://127.0.0.1:${server.port}`,
    async close() {
      await server.stop(true);
      await t.close();
    },
  };
}
