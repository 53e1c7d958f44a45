import { afterAll, describe, expect, test } from "bun:test";
import { redisReachable } from "../../../tests/helpers/engines.ts";
import { rateLimiterBehaviour } from "../../../tests/helpers/rate-limiter-behaviour.ts";
import { startTestBridge, type TestBridge } from "../../../tests/helpers/redis-rest.ts";
import { integrationTimeouts } from "../../../tests/helpers/timeouts.ts";
import { createUpstashRedis } from "./client.ts";
import { UpstashRateLimiter } from "./rate-limiter.ts";

integrationTimeouts();

const available = await redisReachable();
const bridge: TestBridge | undefined = available ? startTestBridge() : undefined;
afterAll(() => bridge?.stop());

const limiter = (prefix: string, timeoutMs?: number) => {
  if (!bridge) throw new Error("no bridge");
  return new UpstashRateLimiter(createUpstashRedis({ url: bridge.url, token: bridge.token }), {
    prefix,
    timeoutMs,
  });
};

describe.skipIf(!available)("UpstashRateLimiter on a real Redis: the shared sliding-window behaviour", () => {
  rateLimiterBehaviour(() => limiter(`${bridge?.prefix}rl:${crypto.randomUUID().slice(0, 8)}`), {
    now: Date.now,
    sleepUntil: (t) => Bun.sleep(Math.max(0, t - Date.now())),
  });
});

describe.skipIf(!available)("UpstashRateLimiter specifics", () => {
  test("keys live under <prefix>:<rule>:<identifier>:<window>, and reset of a glob-looking id touches only it", async () => {
    const prefix = `${bridge?.prefix}rl2`;
    const rl = limiter(prefix);
    const rule = { name: "search", limit: 2, windowMs: 60_000 };
    await rl.limit("ip:*", rule);
    await rl.limit("ip:10.0.0.1", rule);
    const redis = createUpstashRedis({ url: bridge?.url ?? "", token: bridge?.token ?? "" });
    const keys = (await redis.keys(`${prefix}:*`)).sort();
    expect(keys).toHaveLength(2);
    expect(keys.every((k) => /^.+:search:ip:(\*|10\.0\.0\.1):\d+$/.test(k))).toBe(true);
    await rl.reset("ip:*");
    expect(await redis.keys(`${prefix}:*`)).toEqual([expect.stringContaining(":search:ip:10.0.0.1:")]);
  });

  test("fails open within its timeout when Redis is unreachable", async () => {
    // A bridge whose Redis is a closed port: every command answers 503.
    const dead = startTestBridge("redis://127.0.0.1:1");
    try {
      const rl = new UpstashRateLimiter(createUpstashRedis({ url: dead.url, token: dead.token }), {
        timeoutMs: 300,
      });
      const rule = { name: "t", limit: 1, windowMs: 60_000 };
      const t0 = performance.now();
      const results = [await rl.limit("a", rule), await rl.limit("a", rule)];
      expect(performance.now() - t0).toBeLessThan(2_000);
      expect(results.map((r) => r.success)).toEqual([true, true]);
      expect(results[0]?.remaining).toBe(1);
    } finally {
      await dead.stop().catch(() => {});
    }
  });

  test("fails open on timeout when nothing answers at all", async () => {
    // A listener that accepts and never replies: only the library's timeout can end the wait.
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const rl = new UpstashRateLimiter(
        createUpstashRedis({ url: `http://127.0.0.1:${silent.port}`, token: "x", timeoutMs: 5_000 }),
        { timeoutMs: 200 },
      );
      const t0 = performance.now();
      const r = await rl.limit("a", { name: "t", limit: 1, windowMs: 60_000 });
      expect(performance.now() - t0).toBeLessThan(1_000);
      expect(r.success).toBe(true);
    } finally {
      silent.stop(true);
    }
  });
});
