import type { Level } from "../../../core/level.ts";
import { api } from "./api.ts";

export interface Overview {
  window_minutes: number;
  total_logs: number;
  error_count: number;
  logs_per_minute: number;
  error_rate: number;
  levels: Record<Level, number>;
  top_errors: { message: string; count: number }[];
  trend: {
    previous_total_logs: number;
    previous_error_rate: number;
    change_percent: number | null;
    error_rate_change: number;
    direction: "up" | "down" | "flat";
  };
  active_services: number;
  services: {
    name: string;
    total_logs: number;
    error_count: number;
    error_rate: number;
    health: "healthy" | "degraded" | "unhealthy";
  }[];
}

export interface Timeseries {
  interval: string;
  buckets: { timestamp: string; count: number; errors: number; levels: Record<Level, number> }[];
}

export interface SystemMetrics {
  store: { events: number; bytes: number; oldest: string | null; newest: string | null };
  ingest: { logs_last_minute: number; logs_per_second_1m: number; queue_lag: number };
}

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
