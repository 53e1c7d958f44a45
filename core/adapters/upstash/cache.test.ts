import { afterAll, describe, expect, test } from "bun:test";
import { redisReachable } from "../../../tests/helpers/engines.ts";
import { startTestBridge, type TestBridge } from "../../../tests/helpers/redis-rest.ts";
import { integrationTimeouts } from "../../../tests/helpers/timeouts.ts";
import { UpstashCache } from "./cache.ts";
import { createUpstashRedis } from "./client.ts";

integrationTimeouts();

const available = await redisReachable();
const bridge: TestBridge | undefined = available ? startTestBridge() : undefined;
afterAll(() => bridge?.stop());

function fresh() {
  if (!bridge) throw new Error("no bridge");
  const redis = createUpstashRedis({ url: bridge.url, token: bridge.token });
  const prefix = `${bridge.prefix}cache:${crypto.randomUUID().slice(0, 8)}:`;
  return { redis, prefix, cache: new UpstashCache(redis, { prefix }) };
}

describe.skipIf(!available)("UpstashCache on a real Redis", () => {
  test("stores JSON values under the prefix and reads them back with their types", async () => {
    const { redis, prefix, cache } = fresh();
    const value = { n: 1, s: "héllo ✓", list: [1, "2", null], nested: { ok: true } };
    await cache.set("metrics:overview:1h", value, 30);
    expect(await cache.get("metrics:overview:1h")).toEqual(value);
    await cache.set("str", "123", 30); // a string that looks like a number stays a string
    expect(await cache.get<string>("str")).toBe("123");
    expect(await cache.get("absent")).toBeUndefined();
    expect(await redis.ttl(`${prefix}metrics:overview:1h`)).toBeGreaterThan(25);
  });

  test("entries expire after their TTL", async () => {
    const { cache } = fresh();
    await cache.set("short", { v: 1 }, 1);
    expect(await cache.get("short")).toEqual({ v: 1 });
    await Bun.sleep(1_200);
    expect(await cache.get("short")).toBeUndefined();
  });

  test("clear deletes by pattern only below the prefix; `*` and `../*` never reach other keys", async () => {
    const { redis, prefix, cache } = fresh();
    const sentinel = `${bridge?.prefix}outside:${crypto.randomUUID()}`;
    const sibling = `${prefix.slice(0, -1)}x:metrics:a`; // shares the prefix's text but for its last ':'
    await redis.set(sentinel, "keep");
    await redis.set(sibling, "keep");
    await cache.set("metrics:a", 1, 60);
    await cache.set("metrics:b", 2, 60);
    await cache.set("logs:c", 3, 60);
    await cache.set("[x]", 4, 60);
    expect(await cache.keyCount()).toBe(4);
    expect(await cache.clear("../*")).toBe(0);
    expect(await cache.clear("[a-z]*")).toBe(0); // glob classes are literal, as in the memory cache
    expect(await cache.clear("metrics:*")).toBe(2);
    expect(await cache.get("logs:c")).toBe(3);
    expect(await cache.clear("*")).toBe(2);
    expect(await cache.keyCount()).toBe(0);
    expect(await redis.get(sentinel)).toBe("keep");
    expect(await redis.get(sibling)).toBe("keep");
  });

  test("health is healthy when Redis answers", async () => {
    expect((await fresh().cache.health()).status).toBe("healthy");
  });

  test("Redis gone: misses, skipped writes, no throw, health degraded, all within the timeout", async () => {
    const dead = startTestBridge("redis://127.0.0.1:1");
    const gone = new UpstashCache(createUpstashRedis({ url: dead.url, token: dead.token }), {
      timeoutMs: 300,
    });
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const hung = new UpstashCache(
      createUpstashRedis({ url: `http://127.0.0.1:${silent.port}`, token: "x" }),
      {
        timeoutMs: 200,
      },
    );
    try {
      for (const cache of [gone, hung]) {
        const t0 = performance.now();
        await cache.set("k", 1, 10);
        expect(await cache.get("k")).toBeUndefined();
        expect(await cache.clear("*")).toBe(0);
        expect(await cache.keyCount()).toBe(0);
        expect((await cache.health()).status).toBe("degraded");
        expect(performance.now() - t0).toBeLessThan(15_000);
      }
      const t0 = performance.now();
      expect(await hung.get("k")).toBeUndefined();
      expect(performance.now() - t0).toBeLessThan(600);
    } finally {
      silent.stop(true);
      await dead.stop().catch(() => {});
    }
  });
});
