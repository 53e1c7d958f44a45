import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { EMAIL_UNAVAILABLE } from "../../core/alerts/notify.ts";
import type { AlertRule, AlertRuleFields } from "../../core/alerts/schema.ts";
import { checkUrlSyntax, UnsafeUrlError } from "../../core/alerts/ssrf.ts";
import { AppError } from "../../core/errors.ts";
import type { TransitionResult } from "../../core/ports/alerts.ts";
import type { AppEnv, AuthUser } from "../context.ts";
import { currentUser, requireAuth } from "../middleware/auth.ts";
import { parseQuery, readBody } from "../validate.ts";
import {
  AlertRuleCreateSchema,
  AlertRuleUpdateSchema,
  RuleListParamsSchema,
  TriggeredListParamsSchema,
} from "./schema.ts";

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

function mayChange(user: AuthUser, rule: AlertRule): void {
  if (!user.isAdmin && rule.created_by !== user.id) {
    throw new AppError("FORBIDDEN", "Only the rule's owner or an admin may change or delete it");
  }
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

/** /api/v1/alerts: rules (create with auth, change by owner or admin, read open) and triggered alerts. */
export function alertRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/rules", requireAuth(), limit, async (c) => {
    const deps = c.get("deps");
    const body = await readBody(c, AlertRuleCreateSchema);
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

  app.get("/rules", async (c) => {
    const q = parseQuery(c, RuleListParamsSchema);
    const { rules, total } = await c.get("deps").alertRules.list(q);
    return c.json({ rules, total, limit: q.limit, offset: q.offset });
  });

  app.get("/rules/:id", async (c) => {
    const id = idParam(c.req.param("id"), "alert rule");
    const rule = await c.get("deps").alertRules.get(id);
    if (!rule) throw new AppError("NOT_FOUND", `No alert rule with id ${id}`);
    return c.json(rule);
  });

  app.put("/rules/:id", requireAuth(), limit, async (c) => {
    const deps = c.get("deps");
    const id = idParam(c.req.param("id"), "alert rule");
    const existing = await deps.alertRules.get(id);
    if (!existing) throw new AppError("NOT_FOUND", `No alert rule with id ${id}`);
    mayChange(currentUser(c), existing);
    const patch = await readBody(c, AlertRuleUpdateSchema);
    checkChannel({ ...existing, ...patch }, deps.settings.ALLOW_PRIVATE_WEBHOOKS);
    const rule = await deps.alertRules.update(id, patch);
    if (!rule) throw new AppError("NOT_FOUND", `No alert rule with id ${id}`);
    return c.json(rule);
  });

  app.delete("/rules/:id", requireAuth(), async (c) => {
    const deps = c.get("deps");
    const id = idParam(c.req.param("id"), "alert rule");
    const existing = await deps.alertRules.get(id);
    if (!existing) throw new AppError("NOT_FOUND", `No alert rule with id ${id}`);
    mayChange(currentUser(c), existing);
    await deps.alertRules.delete(id);
    return c.body(null, 204);
  });

  app.get("/triggered", async (c) => {
    const q = parseQuery(c, TriggeredListParamsSchema);
    const { alerts, total } = await c.get("deps").triggeredAlerts.list({
      status: q.status,
      rule_id: q.rule_id,
      from: q.start_time,
      to: q.end_time,
      limit: q.limit,
      offset: q.offset,
    });
    return c.json({ alerts, total, limit: q.limit, offset: q.offset });
  });

  app.get("/triggered/:id", async (c) => {
    const id = idParam(c.req.param("id"), "triggered alert");
    const alert = await c.get("deps").triggeredAlerts.get(id);
    if (!alert) throw new AppError("NOT_FOUND", `No triggered alert with id ${id}`);
    return c.json(alert);
  });

  app.post("/triggered/:id/acknowledge", requireAuth(), async (c) => {
    const deps = c.get("deps");
    const id = idParam(c.req.param("id"), "triggered alert");
    const r = await deps.triggeredAlerts.acknowledge(id, currentUser(c).id, deps.now?.() ?? Date.now());
    return c.json(transitionOutcome(id, r, "acknowledged (only a triggered alert can be)"));
  });

  app.post("/triggered/:id/resolve", requireAuth(), async (c) => {
    const deps = c.get("deps");
    const id = idParam(c.req.param("id"), "triggered alert");
    const r = await deps.triggeredAlerts.resolve(id, currentUser(c).id, deps.now?.() ?? Date.now());
    return c.json(transitionOutcome(id, r, "resolved again"));
  });

  return app;
}
