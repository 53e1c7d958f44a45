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
