import { z } from "zod";
import { ALERT_STATUSES, CHANNELS, CONDITIONS, SEVERITIES } from "../../core/ports/alerts.ts";
import type { RouteDoc } from "../openapi/registry.ts";
import {
  AlertRuleCreateSchema,
  AlertRuleUpdateSchema,
  RuleListParamsSchema,
  TriggeredListParamsSchema,
} from "./schema.ts";

const RuleSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    description: z.string().nullable(),
    condition: z.enum(CONDITIONS),
    threshold: z.number(),
    time_window: z.number().int(),
    levels: z.array(z.string()),
    services: z.array(z.string()),
    query: z.string().nullable(),
    notification_channel: z.enum(CHANNELS),
    notification_config: z.record(z.string(), z.unknown()),
    is_active: z.boolean(),
    cooldown_minutes: z.number().int(),
    severity: z.enum(SEVERITIES),
    auto_resolve: z.boolean(),
    notify_on_resolve: z.boolean(),
    anomaly_severity: z
      .enum(["low", "medium", "high", "critical"])
      .nullable()
      .describe("set: the rule counts recorded anomalies of at least this severity instead of logs"),
    created_by: z.number().int().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    last_evaluated_at: z.string().nullable(),
    last_triggered_at: z.string().nullable(),
    last_value: z.number().nullable(),
    trigger_count: z.number().int(),
  })
  .meta({ id: "AlertRule" });

const AlertSchema = z
  .object({
    id: z.number().int(),
    rule_id: z.number().int(),
    rule_name: z.string().nullable(),
    severity: z.enum(SEVERITIES).nullable(),
    triggered_at: z.string(),
    value: z.number(),
    threshold: z.number(),
    condition: z.enum(CONDITIONS).nullable(),
    time_window: z.number().int().nullable(),
    window_start: z.string().nullable(),
    window_end: z.string().nullable(),
    status: z.enum(ALERT_STATUSES),
    message: z.string().nullable(),
    sample_log_ids: z.array(z.string()),
    deliveries: z.array(
      z.object({
        kind: z.enum(["triggered", "resolved"]),
        channel: z.enum(CHANNELS),
        ok: z.boolean(),
        status: z.number().int().nullable(),
        attempts: z.number().int(),
        error: z.string().nullable(),
        at: z.string(),
      }),
    ),
    acknowledged_by: z.number().int().nullable(),
    acknowledged_at: z.string().nullable(),
    resolved_by: z.number().int().nullable(),
    resolved_at: z.string().nullable(),
    auto_resolved: z.boolean(),
  })
  .meta({ id: "TriggeredAlert" });

const example = {
  name: "Payment errors",
  condition: "greater_than",
  threshold: 5,
  time_window: 5,
  levels: ["ERROR", "CRITICAL"],
  services: ["payment-service"],
  notification_channel: "webhook",
  notification_config: { url: "https://hooks.example.com/logflow" },
};
const id = { id: "the id" };

export const ALERT_ROUTE_DOCS: RouteDoc[] = [
  {
    method: "post",
    path: "/api/v1/alerts/rules",
    tag: "alerts",
    auth: "session",
    summary: "Create an alert rule; its webhook signing secret is shown once",
    description: "email is refused (422): email notifications are not available on this deployment.",
    body: { schema: AlertRuleCreateSchema, example },
    response: {
      status: 201,
      description: "The rule and its signing_secret",
      schema: z.object({ ...RuleSchema.shape, signing_secret: z.string() }),
    },
    errors: ["UNAUTHORIZED", "VALIDATION_FAILED", "UNSUPPORTED_MEDIA_TYPE", "INVALID_JSON", "RATE_LIMITED"],
  },
  {
    method: "get",
    path: "/api/v1/alerts/rules",
    tag: "alerts",
    auth: "none",
    summary: "Alert rules",
    query: RuleListParamsSchema,
    response: {
      status: 200,
      description: "A page of rules",
      schema: z.object({
        rules: z.array(RuleSchema),
        total: z.number().int(),
        limit: z.number(),
        offset: z.number(),
      }),
    },
    errors: ["BAD_REQUEST", "RATE_LIMITED"],
  },
  {
    method: "get",
    path: "/api/v1/alerts/rules/:id",
    tag: "alerts",
    auth: "none",
    summary: "One alert rule",
    params: id,
    response: { status: 200, description: "The rule", schema: RuleSchema },
    errors: ["NOT_FOUND", "RATE_LIMITED"],
  },
  {
    method: "put",
    path: "/api/v1/alerts/rules/:id",
    tag: "alerts",
    auth: "session",
    summary: "Change a rule (its owner or an admin); any subset of its fields",
    params: id,
    body: { schema: AlertRuleUpdateSchema, example: { threshold: 10, is_active: false } },
    response: { status: 200, description: "The rule", schema: RuleSchema },
    errors: ["UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "VALIDATION_FAILED", "RATE_LIMITED"],
  },
  {
    method: "delete",
    path: "/api/v1/alerts/rules/:id",
    tag: "alerts",
    auth: "session",
    summary: "Delete a rule (its owner or an admin) and its alerts",
    params: id,
    response: { status: 204, description: "Deleted" },
    errors: ["UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "RATE_LIMITED"],
  },
  {
    method: "get",
    path: "/api/v1/alerts/triggered",
    tag: "alerts",
    auth: "none",
    summary: "Triggered alerts, newest first",
    query: TriggeredListParamsSchema,
    response: {
      status: 200,
      description: "A page of alerts",
      schema: z.object({
        alerts: z.array(AlertSchema),
        total: z.number().int(),
        limit: z.number(),
        offset: z.number(),
      }),
    },
    errors: ["BAD_REQUEST", "RATE_LIMITED"],
  },
  {
    method: "get",
    path: "/api/v1/alerts/triggered/:id",
    tag: "alerts",
    auth: "none",
    summary: "One triggered alert with its deliveries",
    params: id,
    response: { status: 200, description: "The alert", schema: AlertSchema },
    errors: ["NOT_FOUND", "RATE_LIMITED"],
  },
  {
    method: "post",
    path: "/api/v1/alerts/triggered/:id/acknowledge",
    tag: "alerts",
    auth: "session",
    summary: "triggered → acknowledged (who and when recorded)",
    params: id,
    response: { status: 200, description: "The alert", schema: AlertSchema },
    errors: ["UNAUTHORIZED", "NOT_FOUND", "CONFLICT", "RATE_LIMITED"],
  },
  {
    method: "post",
    path: "/api/v1/alerts/triggered/:id/resolve",
    tag: "alerts",
    auth: "session",
    summary: "triggered or acknowledged → resolved (who and when recorded)",
    params: id,
    response: { status: 200, description: "The alert", schema: AlertSchema },
    errors: ["UNAUTHORIZED", "NOT_FOUND", "CONFLICT", "RATE_LIMITED"],
  },
];
