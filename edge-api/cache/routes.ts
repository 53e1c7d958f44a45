import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { CacheClearedSchema, CacheStatsSchema } from "../../core/ops/schema.ts";
import { requireAdmin, requireAuth } from "../middleware/auth.ts";
import { router } from "../openapi/router.ts";
import { BEARER, json, problems } from "../openapi/spec.ts";
import { EMPTY_COUNTS } from "./response-cache.ts";

const ClearParamsSchema = z.object({
  pattern: z
    .string()
    .max(200)
    .regex(/^[A-Za-z0-9_:.*?-]+$/, "may contain letters, digits and _ : . - * ? only")
    .default("*")
    .describe(
      "A glob over LogFlow's cache keys, e.g. metrics:*; never reaches keys outside LogFlow's prefix",
    ),
});

const stats = createRoute({
  method: "get",
  path: "/stats",
  summary: "Response-cache hits, misses and hit rate per key prefix (this process), and the key count",
  responses: { 200: json(CacheStatsSchema, "Cache statistics"), ...problems() },
});

const clear = createRoute({
  method: "delete",
  path: "/clear",
  summary: "Delete cached answers matching a pattern (never outside LogFlow's keys)",
  description: "Admin only.",
  security: BEARER,
  middleware: [requireAuth(), requireAdmin("clear the cache")] as const,
  request: { query: ClearParamsSchema },
  responses: { 200: json(CacheClearedSchema, "How many were deleted"), ...problems("FORBIDDEN") },
});

/** GET /api/v1/cache/stats (open, as in the seed) and DELETE /api/v1/cache/clear (admin). */
export function cacheRoutes() {
  const app = router("cache");

  app.openapi(stats, async (c) => {
    const deps = c.get("deps");
    const counts = deps.cacheStats?.snapshot() ?? EMPTY_COUNTS;
    const health = deps.cache
      ? await deps.cache.health()
      : { status: "unhealthy" as const, detail: "no cache configured" };
    const keys = deps.cache ? await deps.cache.keyCount().catch(() => null) : 0;
    return c.json({ ...counts, keys, backend: health.detail, status: health.status }, 200);
  });

  app.openapi(clear, async (c) => {
    const { pattern } = c.req.valid("query");
    const cleared = (await c.get("deps").cache?.clear(pattern)) ?? 0;
    return c.json({ cleared, pattern }, 200);
  });

  return app;
}
