import type { Overview, SystemMetrics, Timeseries } from "../../../core/metrics/schema.ts";
import { api } from "./api.ts";

export type { Overview, SystemMetrics, Timeseries };

/** Windows the overview offers (minutes) and the bucket size that keeps each chart readable. */
export const WINDOWS: { minutes: number; label: string; interval: string }[] = [
  { minutes: 15, label: "15 minutes", interval: "1m" },
  { minutes: 60, label: "1 hour", interval: "1m" },
  { minutes: 360, label: "6 hours", interval: "5m" },
  { minutes: 1440, label: "24 hours", interval: "15m" },
  { minutes: 10080, label: "7 days", interval: "1h" },
];

export function intervalFor(minutes: number): string {
  return WINDOWS.find((w) => w.minutes === minutes)?.interval ?? "5m";
}

export const overview = (minutes: number) =>
  api<Overview>(`/api/v1/metrics/overview?window_minutes=${minutes}`);
export const timeseries = (minutes: number, interval = intervalFor(minutes), service?: string) =>
  api<Timeseries>(
    `/api/v1/metrics/timeseries?window_minutes=${minutes}&interval=${interval}${service ? `&service=${encodeURIComponent(service)}` : ""}`,
  );
export const system = () => api<SystemMetrics>("/api/v1/metrics/system");
