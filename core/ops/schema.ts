/** What the API reports about itself: health, its response cache and its rate limits. */
import { z } from "zod";

export const HEALTH_STATUSES = ["healthy", "degraded", "unhealthy"] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/** GET /health, in the seed's shape: a word per dependency, and what each said. */
export const HealthSchema = z
  .object({
    status: z.enum(HEALTH_STATUSES).describe("unhealthy (503) when a required dependency is down"),
    timestamp: z.string(),
    services: z
      .record(z.string(), z.enum(HEALTH_STATUSES))
      .optional()
      .describe("absent for an anonymous caller when READ_ACCESS=authenticated"),
    details: z
      .record(z.string(), z.string())
      .optional()
      .describe("absent for an anonymous caller when READ_ACCESS=authenticated"),
  })
  .meta({ id: "Health" });
export type Health = z.infer<typeof HealthSchema>;

/** GET /health/live: the process answers; nothing else is asked. */
export const LivenessSchema = z
  .object({ status: z.literal("alive"), timestamp: z.string() })
  .meta({ id: "Liveness" });

const Counts = {
  hits: z.number().int(),
  misses: z.number().int(),
  hit_rate: z.number().describe("hits / (hits + misses), 0 before any lookup"),
};

/** Hits and misses of the response cache in this process, overall and per key prefix. */
export const CacheCountsSchema = z.object({
  ...Counts,
  prefixes: z.record(z.string(), z.object(Counts)).describe("per key prefix (metrics, …)"),
});
export type CacheCounts = z.infer<typeof CacheCountsSchema>;

/** GET /api/v1/cache/stats. */
export const CacheStatsSchema = CacheCountsSchema.extend({
  keys: z.number().int().nullable().describe("keys in the cache; null when it cannot say"),
  backend: z.string(),
  status: z.enum(HEALTH_STATUSES),
});
export type CacheStats = z.infer<typeof CacheStatsSchema>;

/** DELETE /api/v1/cache/clear. */
export const CacheClearedSchema = z.object({ cleared: z.number().int(), pattern: z.string() });

/** GET /api/v1/rate-limits/status. */
export const RateLimitStatusSchema = z.object({
  enabled: z.boolean(),
  backend: z.string(),
  identifier: z.string().describe("what a request is counted by"),
  exempt: z.array(z.string()),
  rules: z.array(z.object({ name: z.string(), limit: z.number().int(), window_seconds: z.number() })),
});
export type RateLimitStatus = z.infer<typeof RateLimitStatusSchema>;

/** DELETE /api/v1/rate-limits/reset/{id} and /reset-all. */
export const RateLimitResetSchema = z.object({
  reset: z.string().describe("the identifier given its allowances back, or all"),
});
