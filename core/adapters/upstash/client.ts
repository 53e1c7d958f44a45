import { Redis } from "@upstash/redis";

export interface UpstashRedisOptions {
  url: string;
  token: string;
  /**
   * Abort each HTTP request after this many ms (default 1000). Upstash answers in a few ms; a slow or
   * unreachable Redis must not hold an API request for longer than this.
   */
  timeoutMs?: number;
}

/**
 * The REST client LogFlow's Upstash adapters share. Values are stored and read as LogFlow serialises
 * them (no automatic JSON guessing, which would turn the string "123" into a number), one quick retry
 * on a network error, and a fresh timeout signal per request. Works on Bun, Deno and Workers (fetch).
 */
export function createUpstashRedis(opts: UpstashRedisOptions): Redis {
  const timeoutMs = opts.timeoutMs ?? 1_000;
  return new Redis({
    url: opts.url,
    token: opts.token,
    automaticDeserialization: false,
    enableTelemetry: false,
    retry: { retries: 1, backoff: () => 50 },
    signal: () => AbortSignal.timeout(timeoutMs),
  });
}

/** Escape Redis glob metacharacters so that `s` matches only itself in SCAN MATCH. */
export function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, "\\$&");
}

/** Every key matching `match`, by SCAN (never KEYS), in batches of `count`. */
export async function* scanKeys(redis: Redis, match: string, count = 500): AsyncGenerator<string[]> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, { match, count });
    cursor = String(next);
    if (keys.length) yield keys.map(String);
  } while (cursor !== "0");
}
