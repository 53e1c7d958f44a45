import type { ApiKey } from "../../../core/ports/api-keys.ts";
import type { User } from "../../../core/ports/users.ts";
import { api } from "./api.ts";

export type { ApiKey, User };

export const listUsers = () => api<{ users: User[] }>("/api/v1/auth/users");
export const listKeys = () => api<{ api_keys: ApiKey[] }>("/api/v1/api-keys?all=true");
export const createKey = (name: string, scopes: string[]) =>
  api<ApiKey & { key: string }>("/api/v1/api-keys", { json: { name, scopes } });
export const revokeKey = (id: number) => api<void>(`/api/v1/api-keys/${id}`, { method: "DELETE" });

export interface CacheStats {
  hits: number;
  misses: number;
  hit_rate: number;
  keys: number | null;
  backend: string;
  status: string;
  prefixes?: Record<string, { hits: number; misses: number }>;
}
export const cacheStats = () => api<CacheStats>("/api/v1/cache/stats");
export const clearCache = (pattern: string) =>
  api<{ cleared: number; pattern: string }>(`/api/v1/cache/clear?pattern=${encodeURIComponent(pattern)}`, {
    method: "DELETE",
  });

export interface RateLimitStatus {
  enabled: boolean;
  backend: string;
  identifier: string;
  rules: { name: string; limit: number; window_seconds: number }[];
}
export const rateLimitStatus = () => api<RateLimitStatus>("/api/v1/rate-limits/status");
export const resetRateLimit = (id: string) =>
  api<{ reset: string }>(`/api/v1/rate-limits/reset/${encodeURIComponent(id)}`, { method: "DELETE" });
export const resetAllRateLimits = () =>
  api<{ reset: string }>("/api/v1/rate-limits/reset-all", { method: "DELETE" });
