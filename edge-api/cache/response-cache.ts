import type { Context, TypedResponse } from "hono";
import type { CacheCounts } from "../../core/ops/schema.ts";
import type { AppEnv } from "../context.ts";

/** What a process that never looked anything up reports. */
export const EMPTY_COUNTS: CacheCounts = { hits: 0, misses: 0, hit_rate: 0, prefixes: {} };

/** Hits and misses per key prefix, in this process (Prometheus has the same as counters). */
export class CacheStats {
  private readonly counts = new Map<string, { hits: number; misses: number }>();

  record(prefix: string, hit: boolean): void {
    const c = this.counts.get(prefix) ?? { hits: 0, misses: 0 };
    if (hit) c.hits++;
    else c.misses++;
    this.counts.set(prefix, c);
  }

  snapshot(): CacheCounts {
    let hits = 0;
    let misses = 0;
    const prefixes: CacheCounts["prefixes"] = {};
    for (const [prefix, c] of this.counts) {
      hits += c.hits;
      misses += c.misses;
      prefixes[prefix] = { ...c, hit_rate: rate(c.hits, c.misses) };
    }
    return { hits, misses, hit_rate: rate(hits, misses), prefixes };
  }
}

const rate = (hits: number, misses: number) =>
  hits + misses === 0 ? 0 : Math.round((hits / (hits + misses)) * 10_000) / 10_000;

/** JSON text of a computed answer; `undefined` (nothing to say) is `null`, as JSON has no undefined. */
function serialise(value: unknown): string {
  return JSON.stringify(value) ?? "null";
}

const JSON_TYPE = { "content-type": "application/json" };

declare const answer: unique symbol;
/** The JSON text of an answer of type T (from `cachedJsonText`): what `jsonText` serves. */
export type JsonText<T> = string & { readonly [answer]: T };

/**
 * A 200 answer whose body is JSON text already, typed as the answer it holds so that a route's
 * declared response schema checks it as it checks `c.json`.
 */
export function jsonText<T>(c: Context<AppEnv>, text: JsonText<T>): TypedResponse<T, 200, "json"> {
  return c.body(text, 200, JSON_TYPE) as unknown as TypedResponse<T, 200, "json">;
}

/** Computations in flight per key: concurrent misses of one key share one computation (single flight). */
const inFlight = new WeakMap<object, Map<string, Promise<unknown>>>();

/**
 * The JSON text of an answer: from the cache when fresh, else computed once (however many requests
 * miss at the same moment), serialised, and stored for `ttlSeconds`. The cache keeps the text itself,
 * so a hit is served as stored, never parsed or serialised again. Sets `X-Cache: HIT|MISS`. Without a
 * cache in the deps, or when it fails, the answer is computed: the cache can slow nothing down to an
 * error. Serve the text with `jsonText`.
 */
export async function cachedJsonText<T>(
  c: Context<AppEnv>,
  prefix: string,
  key: string,
  ttlSeconds: number,
  compute: () => Promise<T>,
): Promise<JsonText<T>> {
  const deps = c.get("deps");
  const cache = deps.cache;
  const fullKey = `${prefix}:${key}`;
  if (!cache) {
    c.header("X-Cache", "MISS");
    return serialise(await compute()) as JsonText<T>;
  }
  const stored = await cache.get<unknown>(fullKey).catch(() => undefined);
  // Entries written before the cache held text (a rolling deploy) are objects: a miss.
  const hit = typeof stored === "string" ? stored : undefined;
  deps.cacheStats?.record(prefix, hit !== undefined);
  deps.telemetry?.cacheLookup(prefix, hit !== undefined);
  if (hit !== undefined) {
    c.header("X-Cache", "HIT");
    return hit as JsonText<T>;
  }
  c.header("X-Cache", "MISS");
  let flights = inFlight.get(cache);
  if (!flights) {
    flights = new Map();
    inFlight.set(cache, flights);
  }
  const running = flights.get(fullKey) as Promise<JsonText<T>> | undefined;
  if (running) return running;
  const p = (async () => {
    try {
      const text = serialise(await compute()) as JsonText<T>;
      await cache.set(fullKey, text, ttlSeconds).catch(() => {});
      return text;
    } finally {
      flights.delete(fullKey);
    }
  })();
  flights.set(fullKey, p);
  return p;
}
