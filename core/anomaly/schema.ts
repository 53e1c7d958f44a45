/**
 * Anomalies on the wire: what detection reports (GET /api/v1/anomaly/*), what the scheduler records,
 * and the report. The types the detector, the repository, the API and the dashboard use are inferred
 * from these.
 */
import { z } from "zod";

/** The series detection looks at: per-minute log volume and error rate (percent of ERROR + CRITICAL). */
export const METRICS = ["log_volume", "error_rate"] as const;
export type Metric = (typeof METRICS)[number];

export const ANOMALY_TYPES = ["spike", "drop", "pattern_change"] as const;
export type AnomalyType = (typeof ANOMALY_TYPES)[number];

/** Most severe first. */
export const SEVERITIES = ["critical", "high", "medium", "low"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** One detected anomaly, in the seed's wire shape. */
export const AnomalySchema = z
  .object({
    detected_at: z.string(),
    metric_name: z.enum(METRICS),
    service: z.string().nullable().describe("null for all services together"),
    anomaly_type: z.enum(ANOMALY_TYPES),
    description: z.string(),
    score: z.number().describe("the detector's score in [0, 1]"),
    severity: z.enum(SEVERITIES),
    actual_value: z.number(),
    expected_value: z.number(),
    deviation_percent: z.number(),
  })
  .meta({ id: "Anomaly" });
export type Anomaly = z.infer<typeof AnomalySchema>;

/** GET /api/v1/anomaly/detect/patterns: an anomaly of one pattern's volume, with the template. */
export const PatternAnomalySchema = AnomalySchema.extend({
  pattern: z.string().describe("The pattern id (filter with pattern:<id>)"),
  template: z.string().describe("The pattern's template, variables as <*>"),
}).meta({ id: "PatternAnomaly" });

/** An anomaly the scheduler recorded. */
export const RecordedAnomalySchema = AnomalySchema.extend({
  id: z.number().int(),
  recorded_at: z.string(),
}).meta({ id: "RecordedAnomaly" });
export type RecordedAnomaly = z.infer<typeof RecordedAnomalySchema>;

/** GET /api/v1/anomaly/recorded: one page, newest first. */
export const RecordedAnomalyPageSchema = z.object({
  anomalies: z.array(RecordedAnomalySchema),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});

/** GET /api/v1/anomaly/report: both metrics' anomalies with counts by severity and by service. */
export const AnomalyReportSchema = z.object({
  period_start: z.string(),
  period_end: z.string(),
  total_anomalies: z.number().int(),
  anomalies: z.array(AnomalySchema),
  anomalies_by_severity: z.record(z.enum(SEVERITIES), z.number().int()),
  anomalies_by_service: z
    .record(z.string(), z.number().int())
    .describe('"all" counts the anomalies of all services together'),
  reason: z.string().optional().describe("why there is nothing to report (too little history)"),
});
export type AnomalyReport = z.infer<typeof AnomalyReportSchema>;
