import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { AppError } from "../../core/errors.ts";
import { RateLimitResetSchema, RateLimitStatusSchema } from "../../core/ops/schema.ts";
import { requireAdmin, requireAuth } from "../middleware/auth.ts";
import { RATE_LIMITS } from "../middleware/rate-limit.ts";
import { router } from "../openapi/router.ts";
import { BEARER, json, problems } from "../openapi/spec.ts";

/**
 * Identifiers as the limiter keys them: `user:<id>`, `ip:<address>` or `login:<username>` (the login
 * attempts on one account); a bare number means a user id.
 */
function identifierOf(raw: string): string {
  if (/^\d+$/.test(raw)) return `user:${raw}`;
  if (/^(user|ip):[^\s]{1,200}$/.test(raw)) return raw;
  if (/^login:[^\s]{1,200}$/.test(raw)) return raw.toLowerCase();
  throw new AppError("BAD_REQUEST", "id must be a user id, user:<id>, ip:<address> or login:<username>");
}

const ADMIN = { description: "Admin only.", security: BEARER };

const status = createRoute({
  ...ADMIN,
  method: "get",
  path: "/status",
  summary: "The limits in force and where they are counted",
  responses: { 200: json(RateLimitStatusSchema, "Rate-limit status"), ...problems("FORBIDDEN") },
});

const reset = createRoute({
  ...ADMIN,
  method: "delete",
  path: "/reset/{id}",
  summary: "Give one identifier (a user id, user:<id>, ip:<address> or login:<username>) its allowances back",
  request: {
    params: z.object({ id: z.string().describe("A user id, user:<id>, ip:<address> or login:<username>") }),
  },
  responses: { 200: json(RateLimitResetSchema, "Reset"), ...problems("FORBIDDEN", "BAD_REQUEST") },
});

const resetAll = createRoute({
  ...ADMIN,
  method: "delete",
  path: "/reset-all",
  summary: "Give everyone their allowances back",
  responses: { 200: json(RateLimitResetSchema, "Reset"), ...problems("FORBIDDEN") },
});

/** /api/v1/rate-limits: the limits in force, and resets (admin only, as in the seed). */
export function rateLimitRoutes() {
  const app = router("rate limits");
  app.use("*", requireAuth(), requireAdmin("manage rate limits"));

  app.openapi(status, (c) => {
    const deps = c.get("deps");
    return c.json(
      {
        enabled: deps.rateLimiter !== undefined,
        backend: deps.rateLimiter?.backend ?? "none",
        identifier:
          "the user id for a valid token, else the client address; login and register always the address, and login also the account (login:<username>)",
        exempt: ["POST /api/v1/ingest", "GET /health", "GET /metrics", "the dashboard"],
        rules: Object.values(RATE_LIMITS).map((r) => ({
          name: r.name,
          limit: r.limit,
          window_seconds: r.windowMs / 1000,
        })),
      },
      200,
    );
  });

  app.openapi(reset, async (c) => {
    const identifier = identifierOf(decodeURIComponent(c.req.param("id")));
    await c.get("deps").rateLimiter?.reset(identifier);
    return c.json({ reset: identifier }, 200);
  });

  app.openapi(resetAll, async (c) => {
    await c.get("deps").rateLimiter?.reset();
    return c.json({ reset: "all" }, 200);
  });

  return app;
}
