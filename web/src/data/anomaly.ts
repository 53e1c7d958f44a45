import type { Anomaly, AnomalyReport, RecordedAnomaly } from "../../../core/anomaly/schema.ts";
import { api } from "./api.ts";

export type { Anomaly, AnomalyReport, RecordedAnomaly };

export const anomalyReport = (minutes: number, service?: string) =>
  api<AnomalyReport>(
    `/api/v1/anomaly/report?window_minutes=${minutes}${service ? `&service=${encodeURIComponent(service)}` : ""}`,
  );

/** What the scheduler recorded (each tick looks at the last minutes), newest first. */
export const recordedAnomalies = (fromIso: string, service?: string) =>
  api<{ anomalies: RecordedAnomaly[]; total: number }>(
    `/api/v1/anomaly/recorded?start_time=${encodeURIComponent(fromIso)}&limit=100${service ? `&service=${encodeURIComponent(service)}` : ""}`,
  );
