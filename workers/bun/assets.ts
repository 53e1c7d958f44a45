import { existsSync, statSync } from "node:fs";
import { join, normalize, resolve } from "node:path";

/**
 * Serve the built dashboard (web/dist) when it exists: files by path, and index.html for any other
 * page path so client-side routes survive a reload. Returns null when there is nothing to serve.
 */
export function staticAssets(dir = resolve(import.meta.dir, "../../web/dist")) {
  return async (req: Request): Promise<Response | null> => {
    // Before the first `bun run build` there is nothing to serve: the API answers / with a page saying so
    // (web/index.html is Vite's source, not a page a browser can run).
    if (!existsSync(join(dir, "index.html"))) return null;
    const path = decodeURIComponent(new URL(req.url).pathname);
    const file = normalize(join(dir, path));
    if (!file.startsWith(dir)) return null;
    if (existsSync(file) && statSync(file).isFile()) {
      const immutable = path.startsWith("/assets/");
      return new Response(Bun.file(file), {
        headers: { "Cache-Control": immutable ? "public, max-age=31536000, immutable" : "no-cache" },
      });
    }
    if (/\.[a-z0-9]+$/i.test(path)) return null;
    return new Response(Bun.file(join(dir, "index.html")), { headers: { "Cache-Control": "no-cache" } });
  };
}
