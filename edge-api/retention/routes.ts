import { createRoute } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { z } from "zod";
import { AppError } from "../../core/errors.ts";
import { DAY_MS } from "../../core/retention/plan.ts";
import { pendingByRule } from "../../core/retention/runner.ts";
import {
  PutRetentionRuleAnswerSchema,
  PutRetentionRuleSchema,
  RetentionPatternSchema,
  RetentionRulesSchema,
} from "../../core/retention/schema.ts";
import type { AppDeps, AppEnv } from "../context.ts";
import { currentUser, requireAdmin, requireAuth } from "../middleware/auth.ts";
import { router } from "../openapi/router.ts";
import { BEARER, json, jsonBody, problems } from "../openapi/spec.ts";

const ADMIN = { description: "Admin only.", security: BEARER };

/** Before the body is read: a deployment without a database keeps no rules, and says so. */
const rulesAvailable: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!c.get("deps").retentionRules) {
    throw new AppError(
      "UNAVAILABLE",
      "Per-service retention needs a database (DATABASE_URL or the embedded one)",
    );
  }
  await next();
};

/** /api/v1/metrics/system shows the rules: a change shows there at once, not after its cache expires. */
const forgetSystemMetrics = (deps: AppDeps) => deps.cache?.clear("metrics:system").catch(() => 0);

const PatternParams = z.object({
  pattern: RetentionPatternSchema.openapi({ param: { name: "pattern", in: "path" }, example: "checkout-*" }),
});

const list = createRoute({
  ...ADMIN,
  method: "get",
  path: "/rules",
  summary: "The global retention and the per-service rules, most specific first, with what each removed last",
  middleware: [rulesAvailable] as const,
  responses: {
    200: json(RetentionRulesSchema, "Retention in force"),
    ...problems("FORBIDDEN", "UNAVAILABLE"),
  },
});

const put = createRoute({
  ...ADMIN,
  method: "put",
  path: "/rules/{pattern}",
  summary:
    "Keep the events of the services a name or glob (checkout-*) matches for fewer days than RETENTION_DAYS",
  middleware: [rulesAvailable] as const,
  request: { params: PatternParams, body: jsonBody(PutRetentionRuleSchema, { days: 7 }) },
  responses: {
    200: json(
      PutRetentionRuleAnswerSchema,
      "The rule, created or changed (created_at tells which), and what the next hourly pass deletes for it",
    ),
    ...problems("FORBIDDEN", "UNAVAILABLE"),
  },
});

const remove = createRoute({
  ...ADMIN,
  method: "delete",
  path: "/rules/{pattern}",
  summary:
    "Remove a rule: its services keep events for RETENTION_DAYS again (or a less specific rule's days)",
  middleware: [rulesAvailable] as const,
  request: { params: PatternParams },
  responses: { 204: { description: "Removed" }, ...problems("FORBIDDEN", "NOT_FOUND", "UNAVAILABLE") },
});

/**
 * /api/v1/retention: per-service retention rules (admin only). The hourly retention pass applies them
 * after RETENTION_DAYS (core/retention/runner.ts); a rule only shortens, so its days are at most
 * RETENTION_DAYS.
 */
export function retentionRoutes() {
  const app = router("retention");
  app.use("*", requireAuth(), requireAdmin("manage retention"));

  app.openapi(list, async (c) => {
    const deps = c.get("deps");
    const rules = await deps.retentionRules!.list();
    return c.json({ retention_days: deps.settings.RETENTION_DAYS, rules }, 200);
  });

  app.openapi(put, async (c) => {
    const deps = c.get("deps");
    const { pattern } = c.req.valid("param");
    const { days } = c.req.valid("json");
    const global = deps.settings.RETENTION_DAYS;
    if (days > global) {
      throw new AppError(
        "VALIDATION_FAILED",
        `days must be at most RETENTION_DAYS (${global}): a rule only shortens retention; raise RETENTION_DAYS to keep every service longer`,
        { errors: [{ field: "days", message: `at most ${global} (RETENTION_DAYS)` }] },
      );
    }
    const rule = await deps.retentionRules!.put(pattern, days, currentUser(c).username);
    await forgetSystemMetrics(c.get("deps"));
    // Unlike a lowered RETENTION_DAYS, a rule does not ask before deleting: the answer says what will go.
    const now = deps.now?.() ?? Date.now();
    const pending = (await pendingByRule(deps.store, await deps.retentionRules!.list(), now, global)).get(
      pattern,
    );
    const services = pending?.services ?? [];
    const events = services.length
      ? await deps.store.count({ services, from: now - global * DAY_MS, to: now - days * DAY_MS - 1 })
      : 0;
    return c.json({ ...rule, events_to_delete: events, services }, 200);
  });

  app.openapi(remove, async (c) => {
    const { pattern } = c.req.valid("param");
    if (!(await c.get("deps").retentionRules!.delete(pattern))) {
      throw new AppError("NOT_FOUND", `No retention rule for ${JSON.stringify(pattern)}`);
    }
    await forgetSystemMetrics(c.get("deps"));
    return c.body(null, 204);
  });

  return app;
}
