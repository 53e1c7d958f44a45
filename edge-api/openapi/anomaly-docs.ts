import { z } from "zod";
import { DetectParamsSchema, RecordedParamsSchema } from "../anomaly/routes.ts";
import type { RouteDoc } from "./registry.ts";

const AnomalySchema = z
  .object({
    detected_at: z.string(),
    metric_name: z.enum(["log_volume", "error_rate"]),
    service: z.string().nullable().describe("null for all services together"),
    anomaly_type: z.enum(["spike", "drop", "pattern_change"]),
    description: z.string(),
    score: z.number(),
    severity: z.enum(["critical", "high", "medium", "low"]),
    actual_value: z.number(),
    expected_value: z.number(),
    deviation_percent: z.number(),
  })
  .meta({ id: "Anomaly" });

const detect = (path: string, metric: string): RouteDoc => ({
  method: "get",
  path,
  tag: "anomalies",
  auth: "none",
  summary: `Anomalies in ${metric} over the last window_minutes (10–1440), per service and overall`,
  description:
    "Per-minute series from the store, each point scored from its past only. An empty list for too little history says why in the X-Anomaly-Note header.",
  query: DetectParamsSchema,
  response: { status: 200, description: "Anomalies, most severe first", schema: z.array(AnomalySchema) },
  errors: ["BAD_REQUEST", "RATE_LIMITED"],
});

export const ANOMALY_ROUTE_DOCS: RouteDoc[] = [
  detect("/api/v1/anomaly/detect/log-volume", "log volume"),
  detect("/api/v1/anomaly/detect/error-rate", "error rate"),
  {
    method: "get",
    path: "/api/v1/anomaly/report",
    tag: "anomalies",
    auth: "none",
    summary: "Both metrics' anomalies with counts by severity and service",
    query: DetectParamsSchema,
    response: {
      status: 200,
      description: "The report",
      schema: z.object({
        period_start: z.string(),
        period_end: z.string(),
        total_anomalies: z.number().int(),
        anomalies: z.array(AnomalySchema),
        anomalies_by_severity: z.record(z.string(), z.number()),
        anomalies_by_service: z.record(z.string(), z.number()),
        reason: z.string().optional(),
      }),
    },
    errors: ["BAD_REQUEST", "RATE_LIMITED"],
  },
  {
    method: "get",
    path: "/api/v1/anomaly/recorded",
    tag: "anomalies",
    auth: "none",
    summary: "Anomalies the scheduler recorded (each tick looks at the last 10 minutes), newest first",
    description:
      "Filter by time (start_time/end_time, ISO 8601), min_severity (low < medium < high < critical), service and metric. Alert rules with anomaly_severity count these.",
    query: RecordedParamsSchema,
    response: {
      status: 200,
      description: "A page of recorded anomalies",
      schema: z.object({
        anomalies: z.array(AnomalySchema.extend({ id: z.number().int(), recorded_at: z.string() })),
        total: z.number().int(),
        limit: z.number().int(),
        offset: z.number().int(),
      }),
    },
    errors: ["BAD_REQUEST", "RATE_LIMITED", "UNAVAILABLE"],
  },
];
