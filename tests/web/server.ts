import { resolve } from "node:path";
import { createApp } from "../../edge-api/app.ts";
import { staticAssets } from "../../workers/bun/assets.ts";
import { compressed } from "../../workers/bun/compress.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";

export const ROOT = resolve(import.meta.dir, "../..");
export const DIST = resolve(ROOT, "web/dist");
/** Screenshots and downloads of the browser suite (git-ignored). */
export const ARTIFACTS = resolve(ROOT, "tests/artifacts/web");

export { buildDashboard, ensureBuilt } from "../../web/ensure-built.ts";

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
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: compressed(app.fetch) });
  return {
    t,
    url: `http://127.0.0.1:${server.port}`,
    async close() {
      await server.stop(true);
      await t.close();
    },
  };
}
