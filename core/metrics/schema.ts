/**
 * What GET /api/v1/metrics/* answers: volume, levels, error rates and trends over a window, per service
 * and overall, the system's own figures, and counts per interval.
 */

import { z } from "zod";
import { LEVELS } from "../level.ts";
import { CacheCountsSchema } from "../ops/schema.ts";
import { RetentionSummarySchema } from "../retention/schema.ts";

export const SERVICE_HEALTH = ["healthy", "degraded", "unhealthy"] as const;
export type ServiceHealth = (typeof SERVICE_HEALTH)[number];

/**
 * Service health from its error rate (ERROR + CRITICAL share of its logs, in percent) over the window:
 * below 5 % healthy, below 15 % degraded, else unhealthy.
 */
export const HEALTH_THRESHOLDS = { degradedAtPercent: 5, unhealthyAtPercent: 15 } as const;

export function healthOf(errorRatePercent: number): ServiceHealth {
  if (errorRatePercent >= HEALTH_THRESHOLDS.unhealthyAtPercent) return "unhealthy";
  if (errorRatePercent >= HEALTH_THRESHOLDS.degradedAtPercent) return "degraded";
  return "healthy";
}

const Health = z
  .enum(SERVICE_HEALTH)
  .describe("error rate below 5 %: healthy, below 15 %: degraded, else unhealthy");

/** A count for every level (zero included). */
const LevelCounts = z.record(z.enum(LEVELS), z.number().int());

/** Totals, level mix, error rate, top errors and trend of one filter over a window and the one before. */
const WindowSummary = {
  window_minutes: z.number().int(),
  start_time: z.string(),
  end_time: z.string(),
  total_logs: z.number().int(),
  error_count: z.number().int(),
  logs_per_minute: z.number(),
  logs_per_second: z.number(),
  error_rate: z.number().describe("percent of ERROR + CRITICAL"),
  levels: LevelCounts,
  top_errors: z
    .array(
      z.object({
        message: z.string().describe("The pattern's template (variables as <*>), or the message itself"),
        count: z.number().int(),
        pattern: z
          .string()
          .nullable()
          .describe("The pattern id (filter with pattern:<id>); null when grouped by identical message"),
      }),
    )
    .describe("ERROR and CRITICAL logs grouped by pattern, largest first"),
  trend: z.object({
    previous_total_logs: z.number().int(),
    previous_error_rate: z.number(),
    change_percent: z.number().nullable().describe("null when the previous window had no logs"),
    error_rate_change: z.number(),
    direction: z.enum(["up", "down", "flat"]),
  }),
};

/** GET /api/v1/metrics/overview. */
export const OverviewSchema = z.object({
  ...WindowSummary,
  active_services: z.number().int(),
  services: z.array(
    z.object({
      name: z.string(),
      total_logs: z.number().int(),
      error_count: z.number().int(),
      error_rate: z.number(),
      health: Health,
    }),
  ),
  health_thresholds: z.object({ degradedAtPercent: z.number(), unhealthyAtPercent: z.number() }),
});
export type Overview = z.infer<typeof OverviewSchema>;

/** GET /api/v1/metrics/service/{name}. */
export const ServiceMetricsSchema = z.object({ service: z.string(), ...WindowSummary, health: Health });
export type ServiceMetrics = z.infer<typeof ServiceMetricsSchema>;

/** GET /api/v1/metrics/system. */
export const SystemMetricsSchema = z.object({
  timestamp: z.string(),
  uptime_seconds: z.number().int(),
  store: z.object({
    events: z.number().int(),
    bytes: z.number().int(),
    oldest: z.string().nullable(),
    newest: z.string().nullable(),
  }),
  ingest: z.object({
    logs_last_minute: z.number().int(),
    logs_per_second_1m: z.number(),
    logs_per_second_5m: z.number(),
    queue_lag: z.number().int(),
  }),
  cache: CacheCountsSchema.extend({ keys: z.number().int().nullable() })
    .nullable()
    .describe("this process's cache statistics; null where there is no cache"),
  database: z.object({ connections: z.number().int().nullable() }),
  retention: RetentionSummarySchema.nullable().describe(
    "RETENTION_DAYS and the per-service rules with what each removed last pass; null without a database",
  ),
});
export type SystemMetrics = z.infer<typeof SystemMetricsSchema>;

/** GET /api/v1/metrics/timeseries: buckets oldest first, empty ones as zeros. */
export const TimeseriesSchema = z.object({
  interval: z.string().describe("the bucket length, as asked (1s to 1d)"),
  window_minutes: z.number().int(),
  service: z.string().nullable(),
  query: z.string().nullable().describe("the query the counts are of; null for every event"),
  start_time: z.string(),
  end_time: z.string(),
  buckets: z.array(
    z.object({
      timestamp: z.string(),
      count: z.number().int(),
      errors: z.number().int(),
      levels: LevelCounts,
    }),
  ),
});
export type Timeseries = z.infer<typeof TimeseriesSchema>;
