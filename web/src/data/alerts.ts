import type { AlertRule, AlertRuleFields, AlertStatus, TriggeredAlert } from "../../../core/alerts/schema.ts";
import { api } from "./api.ts";

export type { AlertRule, AlertRuleFields, AlertStatus, TriggeredAlert };

export const CONDITIONS: { value: AlertRuleFields["condition"]; label: string }[] = [
  { value: "greater_than", label: "more than" },
  { value: "greater_than_or_equal", label: "at least" },
  { value: "equals", label: "exactly" },
  { value: "less_than_or_equal", label: "at most" },
  { value: "less_than", label: "fewer than" },
];
export const CHANNELS = ["console", "webhook", "slack"] as const;
export const SEVERITIES = ["info", "warning", "critical"] as const;
/** An anomaly rule counts recorded anomalies of at least this severity instead of logs. */
export const ANOMALY_SEVERITIES = ["low", "medium", "high", "critical"] as const;

/**
 * What a rule compares with its threshold, as the form offers it. A Record over the API's own type, so
 * that an aggregation added to core/alerts/schema.ts fails the type check here until the form has it.
 */
const AGGREGATION_LABELS: Record<AlertRuleFields["aggregation"], string> = {
  count: "the number of matching lines",
  avg: "the average of a numeric field",
  min: "the minimum of a numeric field",
  max: "the maximum of a numeric field",
  sum: "the sum of a numeric field",
  p50: "the median (p50) of a numeric field",
  p90: "the 90th percentile of a numeric field",
  p95: "the 95th percentile of a numeric field",
  p99: "the 99th percentile of a numeric field",
};
export const AGGREGATIONS = Object.entries(AGGREGATION_LABELS).map(([value, label]) => ({
  value: value as AlertRuleFields["aggregation"],
  label,
}));

/** What a rule's value is, in a line: `count`, or `p95(latency_ms)` (`p95` when the field is unknown). */
export const comparedValue = (r: { aggregation: string | null; field?: string | null }) =>
  !r.aggregation || r.aggregation === "count"
    ? "count"
    : r.field
      ? `${r.aggregation}(${r.field})`
      : r.aggregation;

export const listRules = () => api<{ rules: AlertRule[]; total: number }>("/api/v1/alerts/rules?limit=500");
export const getRule = (id: number) => api<AlertRule>(`/api/v1/alerts/rules/${id}`);
export const createRule = (rule: Partial<AlertRuleFields>) =>
  api<AlertRule & { signing_secret: string }>("/api/v1/alerts/rules", { json: rule });
export const updateRule = (id: number, rule: Partial<AlertRuleFields>) =>
  api<AlertRule>(`/api/v1/alerts/rules/${id}`, { method: "PUT", json: rule });
export const deleteRule = (id: number) => api<void>(`/api/v1/alerts/rules/${id}`, { method: "DELETE" });

export const listTriggered = (status?: string) =>
  api<{ alerts: TriggeredAlert[]; total: number }>(
    `/api/v1/alerts/triggered?limit=200${status ? `&status=${encodeURIComponent(status)}` : ""}`,
  );
export const acknowledge = (id: number) =>
  api<TriggeredAlert>(`/api/v1/alerts/triggered/${id}/acknowledge`, { method: "POST" });
export const resolve = (id: number) =>
  api<TriggeredAlert>(`/api/v1/alerts/triggered/${id}/resolve`, { method: "POST" });
