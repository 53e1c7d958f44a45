import { describe, expect, test } from "bun:test";
import { MemoryRateLimiter } from "./rate-limiter.ts";

const rule = { name: "t", limit: 10, windowMs: 60_000 };

describe("MemoryRateLimiter (sliding window, as @upstash/ratelimit)", () => {
  test("allows exactly `limit` in a window, counting down remaining", async () => {
    let now = 120_000;
    const rl = new MemoryRateLimiter(() => now);
    const results = [];
    for (let i = 0; i < 11; i++) results.push(await rl.limit("a", rule));
    expect(results.map((r) => r.success)).toEqual([...Array(10).fill(true), false]);
    expect(results.map((r) => r.remaining).slice(0, 3)).toEqual([9, 8, 7]);
    expect(results[10]!.reset).toBe(180_000);
    now += 1;
    expect((await rl.limit("b", rule)).success).toBe(true); // identifiers are independent
  });

  test("the previous window still weighs by its overlap", async () => {
    let now = 120_000;
    const rl = new MemoryRateLimiter(() => now);
    for (let i = 0; i < 10; i++) await rl.limit("a", rule);
    now = 180_000 + 15_000; // 25% into the next window: 75% of 10 = 7 still count
    const allowed = [];
    for (let i = 0; i < 5; i++) allowed.push((await rl.limit("a", rule)).success);
    expect(allowed).toEqual([true, true, true, false, false]);
    now = 300_000; // two windows later everything has aged out
    expect((await rl.limit("a", rule)).remaining).toBe(9);
  });

  test("reset forgets one identifier or everyone", async () => {
    const rl = new MemoryRateLimiter(() => 0);
    for (let i = 0; i < 10; i++) {
      await rl.limit("a", rule);
      await rl.limit("b", rule);
    }
    await rl.reset("a");
    expect((await rl.limit("a", rule)).success).toBe(true);
    expect((await rl.limit("b", rule)).success).toBe(false);
    await rl.reset();
    expect((await rl.limit("b", rule)).success).toBe(true);
  });
});
