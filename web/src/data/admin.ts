import type { ApiKey } from "../../../core/api-keys/schema.ts";
import type { CacheStats, RateLimitStatus } from "../../../core/ops/schema.ts";
import type { User } from "../../../core/users/schema.ts";
import { api } from "./api.ts";

export type { ApiKey, CacheStats, RateLimitStatus, User };

export const listUsers = () => api<{ users: User[] }>("/api/v1/auth/users");
export const listKeys = () => api<{ api_keys: ApiKey[] }>("/api/v1/api-keys?all=true");
export const createKey = (name: string, scopes: string[]) =>
  api<ApiKey & { key: string }>("/api/v1/api-keys", { json: { name, scopes } });
export const revokeKey = (id: number) => api<void>(`/api/v1/api-keys/${id}`, { method: "DELETE" });

export const cacheStats = () => api<CacheStats>("/api/v1/cache/stats");
export const clearCache = (pattern: string) =>
  api<{ cleared: number; pattern: string }>(`/api/v1/cache/clear?pattern=${encodeURIComponent(pattern)}`, {
    method: "DELETE",
  });

export const rateLimitStatus = () => api<RateLimitStatus>("/api/v1/rate-limits/status");
export const resetRateLimit = (id: string) =>
  api<{ reset: string }>(`/api/v1/rate-limits/reset/${encodeURIComponent(id)}`, { method: "DELETE" });
export const resetAllRateLimits = () =>
  api<{ reset: string }>("/api/v1/rate-limits/reset-all", { method: "DELETE" });
