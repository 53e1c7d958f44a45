import type { Config } from "../../config.ts";
import type { Cache } from "../../ports/cache.ts";
import type { RateLimiter } from "../../ports/rate-limiter.ts";
import { UpstashCache } from "./cache.ts";
import { createUpstashRedis } from "./client.ts";
import { UpstashRateLimiter } from "./rate-limiter.ts";

export interface UpstashDeps {
  cache: Cache;
  /** Absent when RATE_LIMIT_ENABLED=false. */
  rateLimiter: RateLimiter | undefined;
  /** For /health: degraded (never 503) when Redis is down; requests go on uncached and unlimited. */
  health: { name: "cache"; required: false; check: Cache["health"] };
}

/**
 * The cache and rate limiter on Upstash Redis, when UPSTASH_REDIS_REST_URL is set (config requires the
 * token with it). Runtime-neutral (fetch only): used by Bun and by edge runtimes alike.
 */
export function upstashDeps(
  config: Config,
  log?: (line: Record<string, unknown>) => void,
): UpstashDeps | undefined {
  if (!config.UPSTASH_REDIS_REST_URL || !config.UPSTASH_REDIS_REST_TOKEN) return undefined;
  const redis = createUpstashRedis({
    url: config.UPSTASH_REDIS_REST_URL,
    token: config.UPSTASH_REDIS_REST_TOKEN,
  });
  const cache = new UpstashCache(redis, {
    onError: (op, err) =>
      log?.({ level: "WARN", msg: "cache unavailable, served uncached", op, error: String(err) }),
  });
  const rateLimiter = config.RATE_LIMIT_ENABLED
    ? new UpstashRateLimiter(redis, {
        onFailOpen: (reason) => log?.({ level: "WARN", msg: "rate limit failed open", reason }),
      })
    : undefined;
  return { cache, rateLimiter, health: { name: "cache", required: false, check: () => cache.health() } };
}
