import { Hono } from "hono";
import { z } from "zod";
import { AppError } from "../../core/errors.ts";
import type { AppEnv } from "../context.ts";
import { currentUser, requireAuth } from "../middleware/auth.ts";
import { parseQuery } from "../validate.ts";

export const ClearParamsSchema = z.object({
  pattern: z
    .string()
    .max(200)
    .regex(/^[A-Za-z0-9_:.*?-]+$/, "may contain letters, digits and _ : . - * ? only")
    .default("*")
    .describe(
      "A glob over LogFlow's cache keys, e.g. metrics:*; never reaches keys outside LogFlow's prefix",
    ),
});

/** GET /api/v1/cache/stats (open, as in the seed) and DELETE /api/v1/cache/clear (admin). */
export function cacheRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/stats", async (c) => {
    const deps = c.get("deps");
    const stats = deps.cacheStats?.snapshot() ?? { hits: 0, misses: 0, hit_rate: 0, prefixes: {} };
    const health = deps.cache
      ? await deps.cache.health()
      : { status: "unhealthy", detail: "no cache configured" };
    const keys = deps.cache ? await deps.cache.keyCount().catch(() => null) : 0;
    return c.json({ ...stats, keys, backend: health.detail, status: health.status });
  });

  app.delete("/clear", requireAuth(), async (c) => {
    if (!currentUser(c).isAdmin) throw new AppError("FORBIDDEN", "Only an admin can clear the cache");
    const { pattern } = parseQuery(c, ClearParamsSchema);
    const cleared = (await c.get("deps").cache?.clear(pattern)) ?? 0;
    return c.json({ cleared, pattern });
  });

  return app;
}
