import type { RateLimiter, RateLimitResult, RateLimitRule } from "../../ports/rate-limiter.ts";

interface Windows {
  /** Start of the current fixed window (epoch ms). */
  start: number;
  current: number;
  previous: number;
}

/**
 * The embedded profile's limiter: the same sliding window as @upstash/ratelimit, in memory. Entries of
 * identifiers idle for two windows are swept, so memory follows active clients, not every client ever.
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly backend = "memory (this process)";
  private readonly windows = new Map<string, Windows>();
  private lastSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async limit(identifier: string, rule: RateLimitRule): Promise<RateLimitResult> {
    const now = this.now();
    this.sweep(now, rule.windowMs);
    const key = `${rule.name}\u0000${identifier}`;
    const start = Math.floor(now / rule.windowMs) * rule.windowMs;
    let w = this.windows.get(key);
    if (!w || start - w.start >= 2 * rule.windowMs) w = { start, current: 0, previous: 0 };
    else if (start !== w.start) w = { start, current: 0, previous: w.current };
    this.windows.set(key, w);
    const overlap = 1 - (now - start) / rule.windowMs;
    const used = Math.floor(w.previous * overlap) + w.current;
    const reset = start + rule.windowMs;
    if (used >= rule.limit) return { success: false, limit: rule.limit, remaining: 0, reset };
    w.current++;
    return { success: true, limit: rule.limit, remaining: Math.max(0, rule.limit - used - 1), reset };
  }

  async reset(identifier?: string): Promise<void> {
    if (identifier === undefined) {
      this.windows.clear();
      return;
    }
    for (const key of [...this.windows.keys()])
      if (key.endsWith(`\u0000${identifier}`)) this.windows.delete(key);
  }

  private sweep(now: number, windowMs: number): void {
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [key, w] of this.windows)
      if (now - w.start > 2 * Math.max(windowMs, 3_600_000)) this.windows.delete(key);
  }
}
