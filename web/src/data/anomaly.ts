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

export interface RecordedAnomaly extends Anomaly {
  id: number;
  recorded_at: string;
}

/** What the scheduler recorded (each tick looks at the last minutes), newest first. */
export const recordedAnomalies = (fromIso: string, service?: string) =>
  api<{ anomalies: RecordedAnomaly[]; total: number }>(
    `/api/v1/anomaly/recorded?start_time=${encodeURIComponent(fromIso)}&limit=100${service ? `&service=${encodeURIComponent(service)}` : ""}`,
  );
