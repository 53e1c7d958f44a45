import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { redisReachable } from "../helpers/engines.ts";
import { startTestBridge, type TestBridge } from "../helpers/redis-rest.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";
import { withinOneMinute } from "../helpers/until.ts";

integrationTimeouts();

const available = await redisReachable();

describe.skipIf(!available)(
  "API with rate limits and cache on Upstash Redis (through the REST bridge)",
  () => {
    let bridge: TestBridge;
    let t: TestApp;
    let admin: string;
    beforeAll(async () => {
      bridge = startTestBridge();
      t = await startTestApp({
        UPSTASH_REDIS_REST_URL: bridge.url,
        UPSTASH_REDIS_REST_TOKEN: bridge.token,
        RATE_LIMIT_ENABLED: "true",
      });
      // The limiter's keys are LogFlow's own (logflow:rl:…), and the admin is user 1 in every fresh
      // database: start from a clean window for it, whatever earlier runs left in Redis.
      const me = await t.request("/api/v1/auth/me", { headers: { authorization: `Bearer ${t.adminToken}` } });
      admin = `user:${((await me.json()) as { id: number }).id}`;
      await t.runtime.deps.rateLimiter?.reset(admin);
    }, 30_000);
    afterAll(async () => {
      await t?.close();
      await t?.runtime.deps.rateLimiter?.reset(admin);
      await bridge?.stop();
    });

    test("search: 50 per minute through Redis, the 51st is a 429 with Retry-After", async () => {
      const auth = { authorization: `Bearer ${t.adminToken}` };
      // 50 requests through the bridge, all in one minute's window (15 s are plenty).
      await withinOneMinute(15_000);
      await t.runtime.deps.rateLimiter?.reset(admin);
      const remaining: number[] = [];
      for (let i = 0; i < 50; i++) {
        const res = await t.request("/api/v1/logs/search?query=x", { headers: auth });
        expect(res.status).toBe(200);
        expect(res.headers.get("RateLimit-Limit")).toBe("50");
        remaining.push(Number(res.headers.get("RateLimit-Remaining")));
      }
      expect(remaining.slice(0, 3)).toEqual([49, 48, 47]);
      expect(remaining.at(-1)).toBe(0);
      const refused = await t.request("/api/v1/logs/search?query=x", { headers: auth });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
      expect(((await refused.json()) as { detail: string }).detail).toBe(
        "Rate limit exceeded: 50 per 1 minute",
      );
      await t.runtime.deps.rateLimiter?.reset(admin);
      expect((await t.request("/api/v1/logs/search?query=x", { headers: auth })).status).toBe(200);
    });

    test("/health shows the cache healthy", async () => {
      const body = (await (await t.request("/health")).json()) as {
        status: string;
        services: Record<string, string>;
      };
      expect(body.services.cache).toBe("healthy");
    });
  },
);

describe.skipIf(!available)("API with Upstash Redis down", () => {
  test("/health is degraded (200), and requests are served with no 5xx", async () => {
    const dead = startTestBridge("redis://127.0.0.1:1");
    const t = await startTestApp({
      UPSTASH_REDIS_REST_URL: dead.url,
      UPSTASH_REDIS_REST_TOKEN: dead.token,
      RATE_LIMIT_ENABLED: "true",
    });
    try {
      const health = await t.request("/health");
      expect(health.status).toBe(200);
      const body = (await health.json()) as { status: string; services: Record<string, string> };
      expect(body.status).toBe("degraded");
      expect(body.services.cache).toBe("degraded");
      const res = await t.request("/api/v1/logs/search?query=x", {
        headers: { authorization: `Bearer ${t.adminToken}` },
      });
      expect(res.status).toBe(200);
      expect(await t.runtime.deps.cache?.get("anything")).toBeUndefined();
    } finally {
      await t.close();
      await dead.stop().catch(() => {});
    }
  }, 30_000);
});
