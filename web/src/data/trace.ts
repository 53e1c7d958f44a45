import type { CorrelationTrace as Trace } from "../../../core/logs/schema.ts";
import { api } from "./api.ts";

export type { Trace };

export const trace = (id: string) => api<Trace>(`/api/v1/correlation/trace/${encodeURIComponent(id)}`);
