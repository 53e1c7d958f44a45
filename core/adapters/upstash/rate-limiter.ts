import { Ratelimit } from "@upstash/ratelimit";
import type { Redis } from "@upstash/redis";
import type { RateLimiter, RateLimitResult, RateLimitRule } from "../../ports/rate-limiter.ts";
import { escapeGlob, scanKeys } from "./client.ts";

export interface UpstashRateLimiterOptions {
  /** Keys live under `<prefix>:<rule>:<identifier>:<window>`. Default `logflow:rl`; tests inject a random one. */
  prefix?: string;
  /**
   * How long a request waits for Redis before it is let through (ms, default 1000): @upstash/ratelimit's
   * `timeout`. Fail open: an unreachable or slow Redis never turns into refused or failed API requests.
   */
  timeoutMs?: number;
  /** Told when a decision failed open (timeout or error), for a log line. */
  onFailOpen?: (reason: string) => void;
}

/**
 * The RateLimiter port on @upstash/ratelimit's sliding window (one Ratelimit per rule, built on first
 * use), shared by every process and isolate that points at the same Redis: this is what makes rate
 * limits hold on Workers.
 *
 * Fails OPEN: when Redis does not answer within `timeoutMs` or answers an error, the request is allowed
 * (`remaining` reported as the whole limit). The library's in-memory "ephemeral cache" remembers
 * refused identifiers until their window ends, sparing Redis a round trip; it is per process, so a
 * reset clears this process's copy at once and other processes' copies within one window.
 */
export class UpstashRateLimiter implements RateLimiter {
  readonly backend = "upstash redis";
  private readonly limiters = new Map<
    string,
    { rl: Ratelimit; blocked: Map<string, number>; rule: RateLimitRule }
  >();
  private readonly prefix: string;
  private readonly timeoutMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly opts: UpstashRateLimiterOptions = {},
  ) {
    this.prefix = opts.prefix ?? "logflow:rl";
    this.timeoutMs = opts.timeoutMs ?? 1_000;
  }

  private limiterFor(rule: RateLimitRule) {
    const id = `${rule.name}\u0000${rule.limit}\u0000${rule.windowMs}`;
    let entry = this.limiters.get(id);
    if (!entry) {
      const blocked = new Map<string, number>();
      entry = {
        rl: new Ratelimit({
          redis: this.redis,
          limiter: Ratelimit.slidingWindow(rule.limit, `${rule.windowMs} ms`),
          prefix: `${this.prefix}:${rule.name}`,
          timeout: this.timeoutMs,
          ephemeralCache: blocked,
          analytics: false,
        }),
        blocked,
        rule,
      };
      this.limiters.set(id, entry);
    }
    return entry;
  }

  async limit(identifier: string, rule: RateLimitRule): Promise<RateLimitResult> {
    const failOpen = (reason: string): RateLimitResult => {
      this.opts.onFailOpen?.(reason);
      const now = Date.now();
      return {
        success: true,
        limit: rule.limit,
        remaining: rule.limit,
        reset: Math.floor(now / rule.windowMs) * rule.windowMs + rule.windowMs,
      };
    };
    try {
      const r = await this.limiterFor(rule).rl.limit(identifier);
      if (r.reason === "timeout") return failOpen(`no answer from Redis within ${this.timeoutMs} ms`);
      return { success: r.success, limit: r.limit, remaining: r.remaining, reset: r.reset };
    } catch (err) {
      return failOpen(String(err));
    }
  }

  /**
   * Forget one identifier's counts under every rule (also rules this process has not used yet), or
   * everyone's, by SCAN + DEL under the prefix. Not the library's resetUsedTokens: its Lua script scans
   * the whole keyspace inside Redis (blocking it) and reads the identifier as a glob (`ip:*` would reset
   * every address). Errors propagate: a reset is an admin's request, not a hot path.
   */
  async reset(identifier?: string): Promise<void> {
    const match =
      identifier === undefined
        ? `${escapeGlob(this.prefix)}:*`
        : `${escapeGlob(this.prefix)}:*:${escapeGlob(identifier)}:*`;
    const exact =
      identifier === undefined
        ? null
        : new RegExp(`^${escapeRegExp(this.prefix)}:[^:]+:${escapeRegExp(identifier)}:\\d+$`);
    for await (const keys of scanKeys(this.redis, match)) {
      const mine = exact ? keys.filter((k) => exact.test(k)) : keys;
      if (mine.length) await this.redis.del(...mine);
    }
    for (const { blocked, rule } of this.limiters.values()) {
      if (identifier === undefined) blocked.clear();
      else blocked.delete(`${this.prefix}:${rule.name}:${identifier}`);
    }
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
