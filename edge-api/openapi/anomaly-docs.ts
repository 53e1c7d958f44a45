import { z } from "zod";
import { AnomalySchema } from "../../core/anomaly/schema.ts";
import { DetectParamsSchema, RecordedParamsSchema } from "../anomaly/routes.ts";
import type { RouteDoc } from "./registry.ts";

/** One anomaly as the detector reports it (the example of every anomaly route). */
const EXAMPLE_ANOMALY = {
  detected_at: "2026-11-28T09:41:00.000Z",
  metric_name: "error_rate",
  service: "payment-service",
  anomaly_type: "spike",
  description: "error_rate spike: 61.54 (expected ~2.13)",
  score: 0.9731,
  severity: "critical",
  actual_value: 61.5385,
  expected_value: 2.1277,
  deviation_percent: 2792.3,
};

const detect = (path: string, metric: string): RouteDoc => ({
  method: "get",
  path,
  tag: "anomalies",
  auth: "none",
  summary: `Anomalies in ${metric} over the last window_minutes (10–1440), per service and overall`,
  description:
    "Per-minute series from the store, each point scored from its past only. An empty list for too little history says why in the X-Anomaly-Note header.",
  query: DetectParamsSchema,
  response: {
    status: 200,
    description: "Anomalies, newest first",
    schema: z.array(AnomalySchema),
    example: [
      metric === "error rate"
        ? EXAMPLE_ANOMALY
        : {
            ...EXAMPLE_ANOMALY,
            metric_name: "log_volume",
            description: "log_volume spike: 412.00 (expected ~96.00)",
            actual_value: 412,
            expected_value: 96,
            deviation_percent: 329.2,
            severity: "high",
            score: 0.8874,
          },
    ],
  },
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
      example: {
        period_start: "2026-11-28T09:00:00.000Z",
        period_end: "2026-11-28T10:00:00.000Z",
        total_anomalies: 1,
        anomalies: [EXAMPLE_ANOMALY],
        anomalies_by_severity: { critical: 1, high: 0, medium: 0, low: 0 },
        anomalies_by_service: { "payment-service": 1 },
      },
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
      example: {
        anomalies: [{ ...EXAMPLE_ANOMALY, id: 17, recorded_at: "2026-11-28T09:42:00.113Z" }],
        total: 1,
        limit: 100,
        offset: 0,
      },
    },
    errors: ["BAD_REQUEST", "RATE_LIMITED", "UNAVAILABLE"],
  },
];
