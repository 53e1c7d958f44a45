/**
 * Alert rules and triggered alerts on the wire (the seed's field names). Each field's rule is written
 * once, in `fields`: the create and update bodies, the stored rule the API answers with, the types the
 * engine, the repository and the dashboard use, and the OpenAPI document all come from it.
 */
import { z } from "zod";
import { SEVERITIES as ANOMALY_SEVERITIES } from "../anomaly/schema.ts";
import { LEVELS, type Level, LevelInputSchema } from "../level.ts";
import { MAX_QUERY_CHARS } from "../query/ast.ts";
import { parseLogQuery, QueryError } from "../query/parse.ts";
import { fieldNameOf, NUMERIC_FUNCTIONS, parseFieldName } from "../query/schema.ts";

export const CONDITIONS = [
  "greater_than",
  "less_than",
  "equals",
  "greater_than_or_equal",
  "less_than_or_equal",
] as const;
export type Condition = (typeof CONDITIONS)[number];

export const CHANNELS = ["console", "webhook", "slack", "email"] as const;
export type Channel = (typeof CHANNELS)[number];

export const SEVERITIES = ["info", "warning", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** What a rule compares with its threshold: the count of matching events, or a function of a numeric field. */
export const RULE_AGGREGATIONS = ["count", ...NUMERIC_FUNCTIONS] as const;
export type RuleAggregation = (typeof RULE_AGGREGATIONS)[number];

/** Most fields a rule groups by. */
export const MAX_GROUP_BY = 3;

export const ALERT_STATUSES = ["triggered", "acknowledged", "resolved"] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** Every field a rule's owner sets, with the seed's names; `query`, cooldown, severity and resolution added. */
const fields = {
  name: z.string().trim().min(1, "must not be empty").max(200),
  description: z.string().max(2000).nullable(),
  condition: z.enum(CONDITIONS),
  threshold: z.number().finite().min(0, "must be 0 or more (a rule counts logs)"),
  time_window: z
    .number()
    .int()
    .min(1, "must be 1–1440 minutes")
    .max(1440, "must be 1–1440 minutes")
    .describe("minutes: the rule counts logs in [now − time_window, now]"),
  levels: z
    .array(LevelInputSchema)
    .max(LEVELS.length * 4)
    .transform((ls) => [...new Set<Level>(ls)]),
  services: z.array(z.string().trim().min(1).max(200)).max(100),
  // Checked here as the search API checks it, so that a rule can never make every tick fail.
  query: z
    .string()
    .max(MAX_QUERY_CHARS)
    .superRefine((q, ctx) => {
      try {
        parseLogQuery(q);
      } catch (err) {
        if (!(err instanceof QueryError)) throw err;
        ctx.addIssue({ code: "custom", message: `${err.message.replace(/^query: /, "")}` });
      }
    })
    .nullable()
    .describe(
      "the events counted, in the query language (as search: words, phrases, field:value, ranges, AND/OR/NOT); null for every event of the rule's services and levels",
    ),
  group_by: z
    .array(
      z
        .string()
        .trim()
        .transform((name, ctx) => {
          const f = parseFieldName(name);
          if (!f) {
            ctx.addIssue({
              code: "custom",
              message: `${JSON.stringify(name.slice(0, 64))} is not a field name (service, level, host, or an attribute such as http.status)`,
            });
            return z.NEVER;
          }
          return fieldNameOf(f);
        }),
    )
    .max(MAX_GROUP_BY, `at most ${MAX_GROUP_BY} fields`)
    .transform((names) => [...new Set(names)])
    .describe(
      "fields to group by (service, level, host, trace_id, or any attribute by its flattened name): one evaluation per group value, each with its own alert (fires and resolves per group); [] for one evaluation of the whole rule",
    ),
  aggregation: z
    .enum(RULE_AGGREGATIONS)
    .describe(
      "what is compared with the threshold: count of the matching events, or sum/avg/min/max/p50/p90/p95/p99 of the numeric attribute `field` (numbers or numeric strings; events without one are skipped)",
    ),
  field: z
    .string()
    .trim()
    .transform((name, ctx) => {
      const f = parseFieldName(name);
      if (f?.kind !== "attribute") {
        ctx.addIssue({
          code: "custom",
          message: `${JSON.stringify(name.slice(0, 64))} is not a numeric attribute's name (such as latency_ms or http.duration)`,
        });
        return z.NEVER;
      }
      return fieldNameOf(f);
    })
    .nullable()
    .describe("the numeric attribute an aggregation other than count reads (latency_ms); null for count"),
  absence_lookback_minutes: z
    .number()
    .int()
    .min(1, "must be 1–10080 minutes")
    .max(10_080, "must be 1–10080 minutes")
    .describe(
      "with group_by and a condition that 0 satisfies (less_than …): groups seen in this many minutes before the window that sent nothing in it count 0, so a service that goes silent fires",
    ),
  notification_channel: z.enum(CHANNELS),
  notification_config: z.record(z.string(), z.unknown()),
  is_active: z.boolean(),
  cooldown_minutes: z
    .number()
    .int()
    .min(0)
    .max(10_080, "at most 10080 (7 days)")
    .describe("after an alert of this rule fires, no new one fires for this many minutes"),
  severity: z.enum(SEVERITIES),
  auto_resolve: z.boolean().describe("resolve the open alert by itself once the condition no longer holds"),
  notify_on_resolve: z.boolean().describe("also notify when the alert auto-resolves"),
  anomaly_severity: z
    .enum(ANOMALY_SEVERITIES)
    .nullable()
    .describe(
      "set: the rule counts recorded anomalies of at least this severity (of its services, or of any) instead of logs; levels and query do not apply",
    ),
  new_pattern: z
    .boolean()
    .describe(
      "true: the rule counts log patterns (templates) first seen in its window, of its services, with events matching its levels and query there, that it has not alerted on yet; it fires once per new pattern (condition greater_than, threshold 0 for every one)",
    ),
};

type RuleShape = Pick<
  z.infer<z.ZodObject<typeof fields>>,
  "anomaly_severity" | "new_pattern" | "group_by" | "aggregation" | "field" | "query" | "levels"
>;

/**
 * What one field cannot say alone, each problem with the field to change: create checks the body,
 * update the stored rule with the patch applied.
 */
export function ruleProblems(r: RuleShape): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  if (r.anomaly_severity && r.new_pattern) {
    out.push({
      field: "new_pattern",
      message: "a rule counts either anomalies or new patterns: remove anomaly_severity or new_pattern",
    });
  }
  if (r.anomaly_severity && (r.query || r.levels.length)) {
    out.push({
      field: "anomaly_severity",
      message: "an anomaly rule counts anomalies, not logs: remove levels and query, or anomaly_severity",
    });
  }
  if (r.aggregation !== "count" && !r.field) {
    out.push({
      field: "field",
      message: `is required with aggregation ${r.aggregation}: the numeric attribute it reads (such as latency_ms)`,
    });
  }
  if (r.aggregation === "count" && r.field) {
    out.push({
      field: "field",
      message: "is read only by sum, avg, min, max and pNN: remove it, or set aggregation",
    });
  }
  if ((r.anomaly_severity || r.new_pattern) && (r.group_by.length || r.aggregation !== "count")) {
    out.push({
      field: r.group_by.length ? "group_by" : "aggregation",
      message: "anomaly and new-pattern rules count, ungrouped: remove group_by and aggregation",
    });
  }
  return out;
}

/** The fields a rule's owner sets (create and update). */
export const AlertRuleFieldsSchema = z.object(fields);
export type AlertRuleFields = z.infer<typeof AlertRuleFieldsSchema>;

/** POST /api/v1/alerts/rules: the seed's defaults for what is left out; unknown fields refused by name. */
export const AlertRuleCreateSchema = z
  .object({
    name: fields.name,
    description: fields.description.default(null),
    condition: fields.condition,
    threshold: fields.threshold,
    time_window: fields.time_window.default(5),
    levels: fields.levels.default([]),
    services: fields.services.default([]),
    query: fields.query.default(null),
    group_by: fields.group_by.default([]),
    aggregation: fields.aggregation.default("count"),
    field: fields.field.default(null),
    absence_lookback_minutes: fields.absence_lookback_minutes.default(1440),
    notification_channel: fields.notification_channel.default("console"),
    notification_config: fields.notification_config.default({}),
    is_active: fields.is_active.default(true),
    cooldown_minutes: fields.cooldown_minutes.default(0),
    severity: fields.severity.default("warning"),
    auto_resolve: fields.auto_resolve.default(true),
    notify_on_resolve: fields.notify_on_resolve.default(false),
    anomaly_severity: fields.anomaly_severity.default(null),
    new_pattern: fields.new_pattern.default(false),
  })
  .strict()
  .superRefine((r, ctx) => {
    for (const p of ruleProblems(r)) ctx.addIssue({ code: "custom", path: [p.field], message: p.message });
  });

/** PUT /api/v1/alerts/rules/{id}: any subset of the documented fields; anything else is refused by name. */
export const AlertRuleUpdateSchema = AlertRuleFieldsSchema.partial().strict();

/** A stored rule as the API shows it (never with its signing secret). */
export const AlertRuleSchema = AlertRuleFieldsSchema.extend({
  id: z.number().int(),
  created_by: z.number().int().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  last_evaluated_at: z.string().nullable(),
  last_triggered_at: z.string().nullable(),
  last_value: z.number().nullable(),
  trigger_count: z.number().int(),
}).meta({ id: "AlertRule" });
export type AlertRule = z.infer<typeof AlertRuleSchema>;

/** One notification's outcome, kept on the triggered alert. */
export const DeliverySchema = z.object({
  kind: z.enum(["triggered", "resolved"]),
  channel: z.enum(CHANNELS),
  ok: z.boolean(),
  status: z.number().int().nullable().describe("HTTP status of the last attempt, when one was answered"),
  attempts: z.number().int(),
  error: z.string().nullable(),
  at: z.string(),
});
export type Delivery = z.infer<typeof DeliverySchema>;

export const TriggeredAlertSchema = z
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
    group: z
      .record(z.string(), z.string().nullable())
      .nullable()
      .describe(
        "for a rule with group_by: the group this alert is about, each field's value as text (null: the events have none); null for an ungrouped rule",
      ),
    aggregation: z
      .enum(RULE_AGGREGATIONS)
      .nullable()
      .describe("what `value` is: count, or the function of the rule's field (p95 …)"),
    window_start: z.string().nullable(),
    window_end: z.string().nullable(),
    status: z.enum(ALERT_STATUSES),
    message: z.string().nullable(),
    sample_log_ids: z.array(z.string()),
    deliveries: z.array(DeliverySchema),
    acknowledged_by: z.number().int().nullable(),
    acknowledged_at: z.string().nullable(),
    resolved_by: z.number().int().nullable(),
    resolved_at: z.string().nullable(),
    auto_resolved: z.boolean(),
  })
  .meta({ id: "TriggeredAlert" });
export type TriggeredAlert = z.infer<typeof TriggeredAlertSchema>;

/** GET /api/v1/alerts/rules. */
export const AlertRulePageSchema = z.object({
  rules: z.array(AlertRuleSchema),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});

/** GET /api/v1/alerts/triggered: newest first. */
export const TriggeredAlertPageSchema = z.object({
  alerts: z.array(TriggeredAlertSchema),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});
