import type { StoreHealth } from "./log-store.ts";

/**
 * A key-value cache with per-key TTL for computed API answers (metrics). Implementations: in-process
 * memory (embedded), Upstash Redis over REST (cluster, edge). Keys are given without LogFlow's prefix;
 * implementations add and confine it. A cache must never make a request fail: on an outage, `get`
 * misses and `set`/`clear` give up quietly after a short timeout (fail open); `health` tells.
 */
export interface Cache {
  /** The value stored under `key`, or undefined on a miss, after expiry, or when the cache is unreachable. */
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  /**
   * Delete the keys matching a glob (`metrics:*`) inside LogFlow's own prefix, by SCAN (never KEYS).
   * Returns how many were deleted.
   */
  clear(pattern: string): Promise<number>;
  /** Keys currently stored under LogFlow's prefix. */
  keyCount(): Promise<number>;
  health(): Promise<StoreHealth>;
}
