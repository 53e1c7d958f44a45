import { z } from "zod";
import type { RouteDoc } from "../openapi/registry.ts";
import { OverviewParamsSchema, TimeseriesParamsSchema } from "./routes.ts";

const Levels = z
  .record(z.string(), z.number().int())
  .describe("count per level: DEBUG, INFO, WARNING, ERROR, CRITICAL");
const Summary = {
  window_minutes: z.number().int(),
  start_time: z.string(),
  end_time: z.string(),
  total_logs: z.number().int(),
  error_count: z.number().int(),
  logs_per_minute: z.number(),
  logs_per_second: z.number(),
  error_rate: z.number().describe("percent of ERROR + CRITICAL"),
  levels: Levels,
  top_errors: z.array(z.object({ message: z.string(), count: z.number().int() })),
  trend: z.object({
    previous_total_logs: z.number().int(),
    previous_error_rate: z.number(),
    change_percent: z.number().nullable(),
    error_rate_change: z.number(),
    direction: z.enum(["up", "down", "flat"]),
  }),
};
const Health = z.enum(["healthy", "degraded", "unhealthy"]).describe("error rate < 5 %, < 15 %, else");

export const METRICS_ROUTE_DOCS: RouteDoc[] = [
  {
    method: "get",
    path: "/api/v1/metrics/overview",
    tag: "metrics",
    auth: "none",
    summary: "Volume, rates, levels, top errors, per-service health and the trend over the last window",
    query: OverviewParamsSchema,
    response: {
      status: 200,
      description: "The overview",
      schema: z.object({
        ...Summary,
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
      }),
    },
    errors: ["BAD_REQUEST", "RATE_LIMITED"],
  },
  {
    method: "get",
    path: "/api/v1/metrics/service/:name",
    tag: "metrics",
    auth: "none",
    summary: "One service's figures and health over the last window",
    params: { name: "the service" },
    query: OverviewParamsSchema,
    response: {
      status: 200,
      description: "The service's metrics",
      schema: z.object({ service: z.string(), ...Summary, health: Health }),
    },
    errors: ["BAD_REQUEST", "NOT_FOUND", "RATE_LIMITED"],
  },
  {
    method: "get",
    path: "/api/v1/metrics/system",
    tag: "metrics",
    auth: "none",
    summary: "Store size, ingest rate, queue lag, uptime and database connections",
    response: {
      status: 200,
      description: "System metrics",
      schema: z.object({
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
        cache: z
          .object({
            hits: z.number().int(),
            misses: z.number().int(),
            hit_rate: z.number(),
            prefixes: z.record(
              z.string(),
              z.object({ hits: z.number().int(), misses: z.number().int(), hit_rate: z.number() }),
            ),
            keys: z.number().int().nullable(),
          })
          .nullable()
          .describe("this process's cache statistics; null where there is no cache"),
        database: z.object({ connections: z.number().int().nullable() }),
      }),
    },
    errors: ["RATE_LIMITED"],
  },
  {
    method: "get",
    path: "/api/v1/metrics/timeseries",
    tag: "metrics",
    auth: "none",
    summary: "Counts per interval and level over the last window; empty buckets as zeros",
    query: TimeseriesParamsSchema,
    response: {
      status: 200,
      description: "Buckets, oldest first",
      schema: z.object({
        interval: z.string(),
        window_minutes: z.number().int(),
        service: z.string().nullable(),
        start_time: z.string(),
        end_time: z.string(),
        buckets: z.array(
          z.object({
            timestamp: z.string(),
            count: z.number().int(),
            errors: z.number().int(),
            levels: Levels,
          }),
        ),
      }),
    },
    errors: ["BAD_REQUEST", "RATE_LIMITED"],
  },
];
