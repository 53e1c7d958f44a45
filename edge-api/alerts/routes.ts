import { createRoute } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { EMAIL_UNAVAILABLE } from "../../core/alerts/notify.ts";
import {
  ALERT_STATUSES,
  type AlertRule,
  AlertRuleCreateSchema,
  type AlertRuleFields,
  AlertRulePageSchema,
  AlertRuleSchema,
  AlertRuleUpdateSchema,
  ruleProblems,
  TriggeredAlertPageSchema,
  TriggeredAlertSchema,
} from "../../core/alerts/schema.ts";
import { checkUrlSyntax, UnsafeUrlError } from "../../core/alerts/ssrf.ts";
import { AppError } from "../../core/errors.ts";
import type { TransitionResult } from "../../core/ports/alerts.ts";
import type { AppEnv, AuthUser } from "../context.ts";
import { currentUser, requireAuth } from "../middleware/auth.ts";
import { router } from "../openapi/router.ts";
import { BEARER, json, jsonBody, problems } from "../openapi/spec.ts";
import { intParam, lastParam } from "../validate.ts";

const limit = bodyLimit({
  maxSize: 64 * 1024,
  onError: () => {
    throw new AppError("PAYLOAD_TOO_LARGE", "Body larger than 64 KiB");
  },
});

function fail(field: string, message: string): never {
  throw new AppError("VALIDATION_FAILED", `${field}: ${message}`, { errors: [{ field, message }] });
}

/**
 * What zod cannot check alone: the channel against this deployment (no email anywhere yet: there is no
 * SMTP, and Workers cannot open SMTP connections) and the URL of webhook and Slack rules (scheme, no
 * private literal address; names are resolved and checked again at each delivery).
 */
function checkChannel(
  rule: Pick<AlertRuleFields, "notification_channel" | "notification_config">,
  allowPrivate: boolean,
) {
  if (rule.notification_channel === "email") fail("notification_channel", EMAIL_UNAVAILABLE);
  if (rule.notification_channel === "webhook" || rule.notification_channel === "slack") {
    const url = rule.notification_config.url ?? rule.notification_config.webhook_url;
    if (typeof url !== "string" || !url)
      fail("notification_config.url", `is required for ${rule.notification_channel}`);
    if (url.length > 2048) fail("notification_config.url", "at most 2048 characters");
    try {
      checkUrlSyntax(url, allowPrivate);
    } catch (err) {
      if (err instanceof UnsafeUrlError) fail("notification_config.url", err.message);
      throw err;
    }
  }
  if (JSON.stringify(rule.notification_config).length > 8192)
    fail("notification_config", "at most 8 KiB of JSON");
}

function idParam(raw: string, what: string): number {
  const id = /^\d{1,15}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(id) || id < 1)
    throw new AppError("NOT_FOUND", `No ${what} with id ${JSON.stringify(raw.slice(0, 32))}`);
  return id;
}

/**
 * The rule of the path, which the signed-in user must own (or be an admin) to change or delete: 404
 * and 403 come before anything about the body.
 */
const ownedRule: MiddlewareHandler<AppEnv & { Variables: { rule: AlertRule } }> = async (c, next) => {
  const id = idParam(c.req.param("id") ?? "", "alert rule");
  const rule = await c.get("deps").alertRules.get(id);
  if (!rule) throw new AppError("NOT_FOUND", `No alert rule with id ${id}`);
  const user = currentUser(c);
  if (!user.isAdmin && rule.created_by !== user.id) {
    throw new AppError("FORBIDDEN", "Only the rule's owner or an admin may change or delete it");
  }
  c.set("rule", rule);
  await next();
};

/** Keys of a rule's notification_config that are safe for anyone who may read rules to see. */
const PUBLIC_CONFIG_KEYS = new Set(["channel"]);

/**
 * The rule as `viewer` may see it: its owner and admins see notification_config whole; anyone else
 * sees the channel and, for a URL, its host only: Slack and webhook URLs are credentials.
 */
export function ruleFor(rule: AlertRule, viewer: AuthUser | undefined): AlertRule {
  if (viewer && (viewer.isAdmin || viewer.id === rule.created_by)) return rule;
  const config = rule.notification_config;
  const shown: Record<string, unknown> = { redacted: true };
  for (const [k, v] of Object.entries(config)) if (PUBLIC_CONFIG_KEYS.has(k)) shown[k] = v;
  const url = config.url ?? config.webhook_url;
  if (typeof url === "string") {
    try {
      shown.host = new URL(url).host;
    } catch {
      // not a URL: nothing of it is shown
    }
  }
  return { ...rule, notification_config: shown };
}

/** A 32-byte secret that signs a rule's webhook deliveries (X-LogFlow-Signature). */
function newSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function transitionOutcome(id: number, r: TransitionResult, action: string) {
  if (r.ok) return r.alert;
  if (r.reason === "not_found") throw new AppError("NOT_FOUND", `No triggered alert with id ${id}`);
  throw new AppError("CONFLICT", `Alert ${id} is ${r.status}; it cannot be ${action}`);
}

const IdParams = z.object({ id: z.string().describe("the id") });

const RuleListParamsSchema = z.object({
  is_active: lastParam(z.enum(["true", "false"]))
    .transform((v) => v === "true")
    .optional(),
  limit: intParam(1, 500).default(100),
  offset: intParam(0, 1_000_000).default(0),
});

const instant = lastParam(z.iso.datetime({ offset: true })).transform(Date.parse);

const TriggeredListParamsSchema = z.object({
  status: lastParam(z.enum(ALERT_STATUSES)).optional(),
  rule_id: intParam(1, Number.MAX_SAFE_INTEGER).optional(),
  start_time: instant.optional(),
  end_time: instant.optional(),
  limit: intParam(1, 500).default(50),
  offset: intParam(0, 1_000_000).default(0),
});

const createRule = createRoute({
  method: "post",
  path: "/rules",
  summary: "Create an alert rule; its webhook signing secret is shown once",
  description: "email is refused (422): email notifications are not available on this deployment.",
  security: BEARER,
  middleware: [requireAuth(), limit] as const,
  request: {
    body: jsonBody(AlertRuleCreateSchema, {
      name: "Payment errors",
      condition: "greater_than",
      threshold: 5,
      time_window: 5,
      levels: ["ERROR", "CRITICAL"],
      services: ["payment-service"],
      notification_channel: "webhook",
      notification_config: { url: "https://hooks.example.com/logflow" },
    }),
  },
  responses: {
    201: json(AlertRuleSchema.extend({ signing_secret: z.string() }), "The rule and its signing_secret"),
    ...problems(),
  },
});

const listRules = createRoute({
  method: "get",
  path: "/rules",
  summary: "Alert rules",
  description:
    "notification_config is shown whole to the rule's owner and admins; others see the channel and the URL's host.",
  request: { query: RuleListParamsSchema },
  responses: { 200: json(AlertRulePageSchema, "A page of rules"), ...problems() },
});

const getRule = createRoute({
  method: "get",
  path: "/rules/{id}",
  summary: "One alert rule",
  request: { params: IdParams },
  responses: { 200: json(AlertRuleSchema, "The rule"), ...problems("NOT_FOUND") },
});

const updateRule = createRoute({
  method: "put",
  path: "/rules/{id}",
  summary: "Change a rule (its owner or an admin); any subset of its fields",
  security: BEARER,
  middleware: [requireAuth(), limit, ownedRule] as const,
  request: { params: IdParams, body: jsonBody(AlertRuleUpdateSchema, { threshold: 10, is_active: false }) },
  responses: { 200: json(AlertRuleSchema, "The rule"), ...problems("FORBIDDEN", "NOT_FOUND") },
});

const deleteRule = createRoute({
  method: "delete",
  path: "/rules/{id}",
  summary: "Delete a rule (its owner or an admin) and its alerts",
  security: BEARER,
  middleware: [requireAuth(), ownedRule] as const,
  request: { params: IdParams },
  responses: { 204: { description: "Deleted" }, ...problems("FORBIDDEN", "NOT_FOUND") },
});

const listTriggered = createRoute({
  method: "get",
  path: "/triggered",
  summary: "Triggered alerts, newest first",
  request: { query: TriggeredListParamsSchema },
  responses: { 200: json(TriggeredAlertPageSchema, "A page of alerts"), ...problems() },
});

const getTriggered = createRoute({
  method: "get",
  path: "/triggered/{id}",
  summary: "One triggered alert with its deliveries",
  request: { params: IdParams },
  responses: { 200: json(TriggeredAlertSchema, "The alert"), ...problems("NOT_FOUND") },
});

const transition = (action: "acknowledge" | "resolve", summary: string) =>
  createRoute({
    method: "post",
    path: `/triggered/{id}/${action}`,
    summary,
    security: BEARER,
    middleware: [requireAuth()] as const,
    request: { params: IdParams },
    responses: { 200: json(TriggeredAlertSchema, "The alert"), ...problems("NOT_FOUND", "CONFLICT") },
  });
const acknowledge = transition("acknowledge", "triggered → acknowledged (who and when recorded)");
const resolve = transition("resolve", "triggered or acknowledged → resolved (who and when recorded)");

/** /api/v1/alerts: rules (create with auth, change by owner or admin, read open) and triggered alerts. */
export function alertRoutes() {
  const app = router("alerts");

  app.openapi(createRule, async (c) => {
    const deps = c.get("deps");
    const body = c.req.valid("json");
    checkChannel(body, deps.settings.ALLOW_PRIVATE_WEBHOOKS);
    const secret = newSecret();
    const rule = await deps.alertRules.create({
      ...body,
      created_by: currentUser(c).id,
      signing_secret: secret,
    });
    // The secret is shown once, here; it signs webhook deliveries and is never returned again.
    return c.json({ ...rule, signing_secret: secret }, 201);
  });

  app.openapi(listRules, async (c) => {
    const q = c.req.valid("query");
    const { rules, total } = await c.get("deps").alertRules.list(q);
    const viewer = c.get("user");
    return c.json(
      { rules: rules.map((r) => ruleFor(r, viewer)), total, limit: q.limit, offset: q.offset },
      200,
    );
  });

  app.openapi(getRule, async (c) => {
    const id = idParam(c.req.param("id"), "alert rule");
    const rule = await c.get("deps").alertRules.get(id);
    if (!rule) throw new AppError("NOT_FOUND", `No alert rule with id ${id}`);
    return c.json(ruleFor(rule, c.get("user")), 200);
  });

  app.openapi(updateRule, async (c) => {
    const deps = c.get("deps");
    const existing = c.get("rule");
    const patch = c.req.valid("json");
    const merged = { ...existing, ...patch };
    checkChannel(merged, deps.settings.ALLOW_PRIVATE_WEBHOOKS);
    const [problem] = ruleProblems(merged);
    if (problem) fail(problem.field, problem.message);
    const rule = await deps.alertRules.update(existing.id, patch);
    if (!rule) throw new AppError("NOT_FOUND", `No alert rule with id ${existing.id}`);
    return c.json(rule, 200);
  });

  app.openapi(deleteRule, async (c) => {
    await c.get("deps").alertRules.delete(c.get("rule").id);
    return c.body(null, 204);
  });

  app.openapi(listTriggered, async (c) => {
    const q = c.req.valid("query");
    const { alerts, total } = await c.get("deps").triggeredAlerts.list({
      status: q.status,
      rule_id: q.rule_id,
      from: q.start_time,
      to: q.end_time,
      limit: q.limit,
      offset: q.offset,
    });
    return c.json({ alerts, total, limit: q.limit, offset: q.offset }, 200);
  });

  app.openapi(getTriggered, async (c) => {
    const id = idParam(c.req.param("id"), "triggered alert");
    const alert = await c.get("deps").triggeredAlerts.get(id);
    if (!alert) throw new AppError("NOT_FOUND", `No triggered alert with id ${id}`);
    return c.json(alert, 200);
  });

  app.openapi(acknowledge, async (c) => {
    const deps = c.get("deps");
    const id = idParam(c.req.param("id"), "triggered alert");
    const r = await deps.triggeredAlerts.acknowledge(id, currentUser(c).id, deps.now?.() ?? Date.now());
    return c.json(transitionOutcome(id, r, "acknowledged (only a triggered alert can be)"), 200);
  });

  app.openapi(resolve, async (c) => {
    const deps = c.get("deps");
    const id = idParam(c.req.param("id"), "triggered alert");
    const r = await deps.triggeredAlerts.resolve(id, currentUser(c).id, deps.now?.() ?? Date.now());
    return c.json(transitionOutcome(id, r, "resolved again"), 200);
  });

  return app;
}
