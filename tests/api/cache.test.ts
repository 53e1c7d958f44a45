import { describe, expect, test } from "bun:test";
import { suiteApp } from "../helpers/app.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

const t = suiteApp();

describe("metrics caching (the seed's TTLs)", () => {
  test("a repeat is a HIT until cleared; stats count per prefix; clearing is admin-only", async () => {
    const first = await t.request("/api/v1/metrics/overview?window_minutes=17");
    expect(first.headers.get("x-cache")).toBe("MISS");
    const second = await t.request("/api/v1/metrics/overview?window_minutes=17");
    expect(second.headers.get("x-cache")).toBe("HIT");
    expect(await second.json()).toEqual(await first.json());
    // Other parameters are another key.
    expect((await t.request("/api/v1/metrics/overview?window_minutes=18")).headers.get("x-cache")).toBe(
      "MISS",
    );

    const stats = (await (await t.request("/api/v1/cache/stats")).json()) as {
      prefixes: Record<string, { hits: number; misses: number }>;
      keys: number;
    };
    expect(stats.prefixes.metrics).toEqual({ hits: 1, misses: 2, hit_rate: 0.3333 } as never);
    expect(stats.keys).toBeGreaterThanOrEqual(2);

    expect((await t.request("/api/v1/cache/clear?pattern=metrics:*", { method: "DELETE" })).status).toBe(401);
    const bad = await t.request("/api/v1/cache/clear?pattern=../../*%0A", {
      method: "DELETE",
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    expect(bad.status).toBe(400);
    const cleared = await t.request("/api/v1/cache/clear?pattern=metrics:overview:*", {
      method: "DELETE",
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    expect(((await cleared.json()) as { cleared: number }).cleared).toBe(2);
    expect((await t.request("/api/v1/metrics/overview?window_minutes=17")).headers.get("x-cache")).toBe(
      "MISS",
    );
  });
});
