import type { LogEvent } from "../../../core/log-event.ts";
import { api } from "./api.ts";

export interface Trace {
  correlation_id: string;
  total: number;
  truncated: boolean;
  first_seen: string;
  last_seen: string;
  duration_ms: number;
  services: { service: string; count: number; first: string; last: string }[];
  hops: { from: string; to: string; at: string; gap_ms: number }[];
  logs: LogEvent[];
}

export const trace = (id: string) => api<Trace>(`/api/v1/correlation/trace/${encodeURIComponent(id)}`);
