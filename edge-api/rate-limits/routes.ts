import { Hono } from "hono";
import { AppError } from "../../core/errors.ts";
import type { AppEnv } from "../context.ts";
import { currentUser, requireAuth } from "../middleware/auth.ts";
import { RATE_LIMITS } from "../middleware/rate-limit.ts";

/** Identifiers as the limiter keys them: `user:<id>` or `ip:<address>`; a bare number means a user id. */
function identifierOf(raw: string): string {
  if (/^\d+$/.test(raw)) return `user:${raw}`;
  if (/^(user|ip):[^\s]{1,200}$/.test(raw)) return raw;
  throw new AppError("BAD_REQUEST", "id must be a user id, user:<id> or ip:<address>");
}

/** /api/v1/rate-limits: the limits in force, and resets (admin only, as in the seed). */
export function rateLimitRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("*", requireAuth(), async (c, next) => {
    if (!currentUser(c).isAdmin) throw new AppError("FORBIDDEN", "Only an admin can manage rate limits");
    await next();
  });

  app.get("/status", (c) => {
    const deps = c.get("deps");
    return c.json({
      enabled: deps.rateLimiter !== undefined,
      backend: deps.rateLimiter?.backend ?? "none",
      identifier: "the user id for a valid token, else the client address",
      exempt: ["POST /api/v1/ingest", "GET /health", "GET /metrics", "the dashboard"],
      rules: Object.values(RATE_LIMITS).map((r) => ({
        name: r.name,
        limit: r.limit,
        window_seconds: r.windowMs / 1000,
      })),
    });
  });

  app.delete("/reset/:id", async (c) => {
    const identifier = identifierOf(decodeURIComponent(c.req.param("id")));
    await c.get("deps").rateLimiter?.reset(identifier);
    return c.json({ reset: identifier });
  });

  app.delete("/reset-all", async (c) => {
    await c.get("deps").rateLimiter?.reset();
    return c.json({ reset: "all" });
  });

  return app;
}
