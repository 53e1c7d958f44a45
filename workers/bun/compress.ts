import { COMPRESSIBLE_CONTENT_TYPE_REGEX } from "hono/utils/compress";

export type Encoding = "br" | "gzip";

/**
 * The encoding to answer with, of those `offered` (in our order of preference), as Accept-Encoding
 * allows: an explicit q wins over `*`, q=0 refuses, ties keep our order. Null: send it as it is.
 */
export function pickEncoding(accept: string | null, offered: readonly Encoding[]): Encoding | null {
  if (!accept) return null;
  const q = new Map<string, number>();
  for (const part of accept.split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    if (!name) continue;
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const value = qp ? Number(qp.slice(2)) : 1;
    q.set(name, Number.isFinite(value) ? value : 0);
  }
  let best: Encoding | null = null;
  let bestQ = 0;
  for (const enc of offered) {
    const v = q.get(enc) ?? q.get("*") ?? 0;
    if (v > bestQ) {
      best = enc;
      bestQ = v;
    }
  }
  return best;
}

/** Adds Accept-Encoding to a response's Vary (caches must keep each encoding apart). */
export function varyOnEncoding(headers: Headers) {
  const vary = headers.get("vary");
  if (vary === null) headers.set("vary", "Accept-Encoding");
  else if (vary !== "*" && !/(^|,)\s*accept-encoding\s*(,|$)/i.test(vary))
    headers.set("vary", `${vary}, Accept-Encoding`);
}

/** Answers at least this large are compressed (smaller ones gain little, when their size is known). */
const THRESHOLD = 1024;

type Fetch<S> = (req: Request, server: S) => Response | Promise<Response>;

/**
 * Compress the API's answers on the fly for clients that accept it (gzip: quick enough for every JSON
 * answer; the dashboard's built files come precompressed with brotli too, see assets.ts). Left alone:
 * event streams (the live tail) and anything marked no-transform, already encoded, partial or empty.
 * For Bun; Cloudflare compresses a Worker's answers by itself. Not an async function: a synchronous
 * answer stays synchronous, and an asynchronous one takes one `then`, not an await's extra turns (this
 * wraps every request: bench:api).
 */
export function compressed<S>(fetch: Fetch<S>): Fetch<S> {
  return (req, server) => {
    const res = fetch(req, server);
    return res instanceof Promise ? res.then((r) => encode(req, r)) : encode(req, res);
  };
}

function encode(req: Request, res: Response): Response {
  if (
    req.method === "HEAD" ||
    res.status === 204 ||
    res.status === 206 ||
    res.status === 304 ||
    res.headers.has("content-encoding") ||
    !COMPRESSIBLE_CONTENT_TYPE_REGEX.test(res.headers.get("content-type") ?? "") ||
    /(^|,)\s*no-transform\s*(,|$)/i.test(res.headers.get("cache-control") ?? "")
  )
    return res;
  const length = res.headers.get("content-length");
  if (length !== null && Number(length) < THRESHOLD) return res;
  const encoding = pickEncoding(req.headers.get("accept-encoding"), ["gzip"]);
  if (!encoding) {
    // Sent as it is: only Vary changes. Rewrapping the body would turn a buffered answer into a
    // stream (chunked, and slower to serve); the app's answers have mutable headers.
    try {
      varyOnEncoding(res.headers);
      return res;
    } catch {
      const headers = new Headers(res.headers);
      varyOnEncoding(headers);
      return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
    }
  }
  // `res.body` only now: reading it makes a stream of a buffered answer, which Bun then sends slower.
  if (!res.body) return res;
  const headers = new Headers(res.headers);
  varyOnEncoding(headers);
  headers.delete("content-length");
  headers.set("content-encoding", encoding);
  const etag = headers.get("etag");
  if (etag && !etag.startsWith("W/")) headers.set("etag", `W/${etag}`);
  return new Response(res.body.pipeThrough(new CompressionStream("gzip")), {
    status: res.status,
    statusText: res.statusText,
    headers,
  });
}
