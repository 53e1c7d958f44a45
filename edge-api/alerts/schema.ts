import { z } from "zod";
import { SEVERITIES as ANOMALY_SEVERITIES } from "../../core/anomaly/anomalies.ts";
import { LEVELS, type Level, normalizeLevel } from "../../core/level.ts";
import { ALERT_STATUSES, CHANNELS, CONDITIONS, SEVERITIES } from "../../core/ports/alerts.ts";
import { MAX_SEARCH_TERMS, parseSearchText } from "../../core/search-text.ts";

const level = z.string().transform((v, ctx) => {
  const l = normalizeLevel(v);
  if (!l) {
    ctx.addIssue({
      code: "custom",
      message: `unknown level ${JSON.stringify(v)} (use ${LEVELS.join(", ")})`,
    });
    return z.NEVER;
  }
  return l;
});

const levels = z
  .array(level)
  .max(LEVELS.length * 4)
  .transform((ls) => [...new Set<Level>(ls)]);

/** Every field a rule's owner sets, with the seed's names; `query`, cooldown, severity and resolution added. */
const fields = {
  name: z.string().trim().min(1, "must not be empty").max(200),
  description: z.string().max(2000).nullable(),
  condition: z.enum(CONDITIONS),
  threshold: z.number().finite().min(0, "must be 0 or more (a rule counts logs)"),
  time_window: z.number().int().min(1, "must be 1–1440 minutes").max(1440, "must be 1–1440 minutes"),
  levels,
  services: z.array(z.string().trim().min(1).max(200)).max(100),
  // Checked here as the search API checks it, so that a rule can never make every tick fail.
  query: z
    .string()
    .max(1024)
    .refine((q) => parseSearchText(q).flat().length <= MAX_SEARCH_TERMS, {
      message: `at most ${MAX_SEARCH_TERMS} words and phrases`,
    })
    .nullable(),
  notification_channel: z.enum(CHANNELS),
  notification_config: z.record(z.string(), z.unknown()),
  is_active: z.boolean(),
  cooldown_minutes: z.number().int().min(0).max(10_080, "at most 10080 (7 days)"),
  severity: z.enum(SEVERITIES),
  auto_resolve: z.boolean(),
  notify_on_resolve: z.boolean(),
  anomaly_severity: z.enum(ANOMALY_SEVERITIES).nullable(),
};

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
    notification_channel: fields.notification_channel.default("console"),
    notification_config: fields.notification_config.default({}),
    is_active: fields.is_active.default(true),
    cooldown_minutes: fields.cooldown_minutes.default(0),
    severity: fields.severity.default("warning"),
    auto_resolve: fields.auto_resolve.default(true),
    notify_on_resolve: fields.notify_on_resolve.default(false),
    anomaly_severity: fields.anomaly_severity.default(null),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.anomaly_severity && (r.query || r.levels.length)) {
      ctx.addIssue({
        code: "custom",
        path: ["anomaly_severity"],
        message: "an anomaly rule counts anomalies, not logs: remove levels and query, or anomaly_severity",
      });
    }
  });
export type AlertRuleCreate = z.output<typeof AlertRuleCreateSchema>;

/** PUT: any subset of the documented fields; anything else is refused by name. */
export const AlertRuleUpdateSchema = z.object(fields).partial().strict();
export type AlertRuleUpdate = z.output<typeof AlertRuleUpdateSchema>;

const last = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v[v.length - 1]! : v));
const int = (min: number, max: number) => last.transform(Number).pipe(z.number().int().min(min).max(max));

export const RuleListParamsSchema = z.object({
  is_active: last
    .pipe(z.enum(["true", "false"]))
    .transform((v) => v === "true")
    .optional(),
  limit: int(1, 500).default(100),
  offset: int(0, 1_000_000).default(0),
});

export const TriggeredListParamsSchema = z.object({
  status: last.pipe(z.enum(ALERT_STATUSES)).optional(),
  rule_id: int(1, Number.MAX_SAFE_INTEGER).optional(),
  start_time: last
    .pipe(z.iso.datetime({ offset: true }))
    .transform(Date.parse)
    .optional(),
  end_time: last
    .pipe(z.iso.datetime({ offset: true }))
    .transform(Date.parse)
    .optional(),
  limit: int(1, 500).default(50),
  offset: int(0, 1_000_000).default(0),
});
