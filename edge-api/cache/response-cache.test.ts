import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { MemoryCache } from "../../core/adapters/memory/cache.ts";
import type { Cache } from "../../core/ports/cache.ts";
import type { AppDeps, AppEnv } from "../context.ts";
import { CacheStats, cachedJsonText, jsonText } from "./response-cache.ts";

function appWith(cache: Cache | undefined, compute: () => Promise<unknown>) {
  const stats = new CacheStats();
  const app = new Hono<AppEnv>();
  app.use("*", async (c, next) => {
    c.set("deps", { cache, cacheStats: stats } as unknown as AppDeps);
    await next();
  });
  app.get("/v/:k", async (c) =>
    jsonText(c, await cachedJsonText(c, "metrics", c.req.param("k"), 30, compute)),
  );
  return { app, stats };
}

describe("cachedJsonText", () => {
  test("MISS computes and stores; HIT serves; the TTL expires", async () => {
    let now = 1_000_000;
    let computed = 0;
    const { app, stats } = appWith(new MemoryCache(100, () => now), async () => ({ n: ++computed }));
    const a = await app.request("/v/x");
    expect(a.headers.get("x-cache")).toBe("MISS");
    expect(await a.json()).toEqual({ n: 1 });
    const b = await app.request("/v/x");
    expect(b.headers.get("x-cache")).toBe("HIT");
    expect(await b.json()).toEqual({ n: 1 });
    expect((await app.request("/v/y")).headers.get("x-cache")).toBe("MISS"); // the key includes the parameters
    now += 30_001;
    const c = await app.request("/v/x");
    expect(c.headers.get("x-cache")).toBe("MISS");
    expect(await c.json()).toEqual({ n: 3 });
    expect(stats.snapshot()).toMatchObject({
      hits: 1,
      misses: 3,
      prefixes: { metrics: { hits: 1, misses: 3 } },
    });
  });

  test("concurrent misses of one key compute once (single flight)", async () => {
    let computed = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const { app } = appWith(new MemoryCache(), async () => {
      computed++;
      await gate;
      return { n: computed };
    });
    const pending = Array.from({ length: 10 }, () => app.request("/v/same"));
    await Bun.sleep(10);
    release();
    const bodies = await Promise.all((await Promise.all(pending)).map((r) => r.json()));
    expect(computed).toBe(1);
    expect(new Set(bodies.map((b) => JSON.stringify(b)))).toEqual(new Set(['{"n":1}']));
  });

  test("a failing cache never fails the request: it computes", async () => {
    const broken: Cache = {
      get: () => Promise.reject(new Error("down")),
      set: () => Promise.reject(new Error("down")),
      clear: () => Promise.reject(new Error("down")),
      keyCount: () => Promise.reject(new Error("down")),
      health: async () => ({ status: "degraded", detail: "down" }),
    };
    const { app } = appWith(broken, async () => ({ ok: true }));
    const res = await app.request("/v/x");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  test("the cache holds the JSON text served; an entry of another shape is a miss", async () => {
    const cache = new MemoryCache();
    let computed = 0;
    const { app } = appWith(cache, async () => ({ n: ++computed, s: "é\u2028" }));
    const miss = await app.request("/v/t");
    const text = await miss.text();
    expect(miss.headers.get("content-type")).toBe("application/json");
    expect(await cache.get("metrics:t")).toBe(text);
    const hit = await app.request("/v/t");
    expect(hit.headers.get("x-cache")).toBe("HIT");
    expect(await hit.text()).toBe(text);
    // What an older version stored (the object itself) is recomputed, not served as "[object Object]".
    await cache.set("metrics:old", { n: 0 }, 30);
    const old = await app.request("/v/old");
    expect(old.headers.get("x-cache")).toBe("MISS");
    expect(await old.json()).toEqual({ n: 2, s: "é\u2028" });
  });
});
