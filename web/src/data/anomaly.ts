import type { Anomaly } from "../../../core/anomaly/anomalies.ts";
import { api } from "./api.ts";

export type { Anomaly };

export interface AnomalyReport {
  period_start: string;
  period_end: string;
  total_anomalies: number;
  anomalies: Anomaly[];
  anomalies_by_severity: Record<string, number>;
  reason?: string;
}

export const anomalyReport = (minutes: number, service?: string) =>
  api<AnomalyReport>(
    `/api/v1/anomaly/report?window_minutes=${minutes}${service ? `&service=${encodeURIComponent(service)}` : ""}`,
  );
