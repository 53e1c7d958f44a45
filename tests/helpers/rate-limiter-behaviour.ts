import { expect, test } from "bun:test";
import type { RateLimiter } from "../../core/ports/rate-limiter.ts";

export interface BehaviourClock {
  now(): number;
  /** Move to (fake clock) or wait until (real clock) epoch ms `t`. */
  sleepUntil(t: number): Promise<void>;
}

/**
 * The sliding-window behaviour every RateLimiter must show, with 10 requests per 2 s: the same
 * assertions for the memory limiter (fake clock) and the Upstash one (real Redis, real time).
 * `make` returns a limiter with no counts yet.
 */
export function rateLimiterBehaviour(make: () => RateLimiter, clock: BehaviourClock, timeoutMs = 20_000) {
  const rule = { name: "t", limit: 10, windowMs: 2_000 };
  const windowStart = (t: number) => Math.floor(t / rule.windowMs) * rule.windowMs;
  /** Just after the next window starts, so a burst falls inside one window. */
  const nextWindow = async (offset = 20) => {
    const start = windowStart(clock.now()) + rule.windowMs;
    await clock.sleepUntil(start + offset);
    return start;
  };

  test(
    "allows exactly `limit` in a window, counting down remaining; the 11th is refused",
    async () => {
      const rl = make();
      const start = await nextWindow();
      const results = [];
      for (let i = 0; i < 11; i++) results.push(await rl.limit("a", rule));
      expect(results.map((r) => r.success)).toEqual([...Array(10).fill(true), false]);
      expect(results.map((r) => r.remaining)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0]);
      expect(results.every((r) => r.limit === 10)).toBe(true);
      expect(results[10]?.reset).toBe(start + rule.windowMs);
      expect((await rl.limit("b", rule)).success).toBe(true); // identifiers are independent
    },
    timeoutMs,
  );

  test(
    "the previous window still weighs by its overlap, and ages out after two windows",
    async () => {
      const rl = make();
      const start = await nextWindow();
      for (let i = 0; i < 10; i++) await rl.limit("a", rule);
      // 26% into the next window: floor(74% of 10) = 7 still count, so 3 more pass.
      await clock.sleepUntil(start + rule.windowMs + 520);
      const allowed = [];
      for (let i = 0; i < 5; i++) allowed.push((await rl.limit("a", rule)).success);
      expect(allowed).toEqual([true, true, true, false, false]);
      await clock.sleepUntil(start + 3 * rule.windowMs + 20);
      expect((await rl.limit("a", rule)).remaining).toBe(9);
    },
    timeoutMs,
  );

  test(
    "reset forgets one identifier, or everyone",
    async () => {
      const rl = make();
      await nextWindow();
      for (let i = 0; i < 10; i++) {
        await rl.limit("a", rule);
        await rl.limit("b", rule);
      }
      expect((await rl.limit("a", rule)).success).toBe(false);
      await rl.reset("a");
      expect((await rl.limit("a", rule)).success).toBe(true);
      expect((await rl.limit("b", rule)).success).toBe(false);
      await rl.reset();
      expect((await rl.limit("b", rule)).success).toBe(true);
    },
    timeoutMs,
  );
}
