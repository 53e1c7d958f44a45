import { existsSync, statSync } from "node:fs";
import { join, normalize, resolve, sep } from "node:path";
import { COMPRESSIBLE_CONTENT_TYPE_REGEX } from "hono/utils/compress";
import { type Encoding, pickEncoding, varyOnEncoding } from "./compress.ts";

const SUFFIX: Record<Encoding, string> = { br: ".br", gzip: ".gz" };

/**
 * A built file, as the brotli or gzip copy made at build time (web/precompress.ts) when the browser
 * accepts it, else as it is; with its own type either way, and Vary: Accept-Encoding.
 */
function fileResponse(req: Request, file: string, init: Record<string, string>): Response {
  const type = Bun.file(file).type;
  const headers = new Headers(init);
  headers.set("content-type", type);
  if (!COMPRESSIBLE_CONTENT_TYPE_REGEX.test(type)) return new Response(Bun.file(file), { headers });
  const copies = (["br", "gzip"] as const).filter((e) => existsSync(file + SUFFIX[e]));
  if (copies.length === 0) return new Response(Bun.file(file), { headers });
  varyOnEncoding(headers);
  const encoding = pickEncoding(req.headers.get("accept-encoding"), copies);
  if (!encoding) return new Response(Bun.file(file), { headers });
  headers.set("content-encoding", encoding);
  return new Response(Bun.file(file + SUFFIX[encoding]), { headers });
}

/**
 * The dashboard's pages may load only what LogFlow serves: its own scripts (no inline ones), styles
 * (uPlot sets inline styles), images, and API calls to the same origin; no framing. Injected markup
 * then cannot load or send anything elsewhere, which guards the session token in sessionStorage.
 */
const PAGE_CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join("; ");

/**
 * Serve the built dashboard (web/dist) when it exists: files by path, and index.html for any other
 * page path so client-side routes survive a reload. Returns null when there is nothing to serve.
 */
export function staticAssets(dir = resolve(import.meta.dir, "../../web/dist")) {
  return async (req: Request): Promise<Response | null> => {
    // Before the first `bun run build` there is nothing to serve: the API answers / with a page saying so
    // (web/index.html is Vite's source, not a page a browser can run).
    if (!existsSync(join(dir, "index.html"))) return null;
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url).pathname);
    } catch {
      return null; // malformed percent-encoding: not a file of ours
    }
    // `..%2F` survives URL normalisation and decodes to `../`: stay strictly inside dir (a bare prefix
    // test would let /..%2Fdist-other/ reach a sibling directory named like it).
    const file = normalize(join(dir, path));
    if (!file.startsWith(dir + sep)) return null;
    if (existsSync(file) && statSync(file).isFile()) {
      const immutable = path.startsWith("/assets/");
      const headers: Record<string, string> = {
        "Cache-Control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
      };
      if (file.endsWith(".html")) headers["Content-Security-Policy"] = PAGE_CSP;
      return fileResponse(req, file, headers);
    }
    if (/\.[a-z0-9]+$/i.test(path)) return null;
    return fileResponse(req, join(dir, "index.html"), {
      "Cache-Control": "no-cache",
      "Content-Security-Policy": PAGE_CSP,
    });
  };
}
