/** One endpoint class's allowance: `limit` requests per `windowMs`, per identifier. */
export interface RateLimitRule {
  /** The name shown in metrics and status (e.g. "search"). */
  name: string;
  limit: number;
  windowMs: number;
}

export interface RateLimitResult {
  success: boolean;
  limit: number;
  remaining: number;
  /** When the window that decided this ends (epoch ms). */
  reset: number;
}

/**
 * Sliding-window rate limiting (the algorithm of @upstash/ratelimit's slidingWindow: the previous
 * fixed window's count, weighted by how much of it still overlaps, plus the current window's count).
 * Implementations: in-process memory (embedded), Upstash Redis (cluster).
 */
export interface RateLimiter {
  /** Where counts live, for status pages: "memory (this process)", "upstash redis". */
  readonly backend: string;
  limit(identifier: string, rule: RateLimitRule): Promise<RateLimitResult>;
  /** Forget one identifier's counts (every rule), or everyone's. */
  reset(identifier?: string): Promise<void>;
}
