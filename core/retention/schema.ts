/**
 * Per-service retention rules (issue 18), once: the API's bodies and answers, the repository's records
 * and /api/v1/metrics/system's retention section are all these schemas.
 */
import { z } from "zod";

/**
 * A service name, or a glob where `*` stands for any run of characters (`checkout-*`, `*-worker`).
 * Every other character is literal. A pattern of stars alone would be every service: that is
 * RETENTION_DAYS's job, so it is refused.
 */
export const RetentionPatternSchema = z
  .string()
  .min(1, "is required")
  .max(128, "at most 128 characters (a service name's limit)")
  .refine((p) => p.trim() === p, "must not start or end with spaces (service names are trimmed)")
  .refine((p) => !/\p{Cc}/u.test(p), "must not contain control characters")
  .refine(
    (p) => /[^*]/.test(p),
    "a pattern of * alone matches every service: set RETENTION_DAYS for that instead",
  )
  .describe("A service name, or a glob with * for any run of characters (checkout-*)");

export const RetentionDaysSchema = z
  .number()
  .int("must be a whole number of days")
  .min(1, "at least 1 day")
  .max(3650, "at most 3650 days");

/** PUT /api/v1/retention/rules/{pattern}: the days to keep the matching services' events. */
export const PutRetentionRuleSchema = z.object({ days: RetentionDaysSchema }).strict();
export type PutRetentionRule = z.infer<typeof PutRetentionRuleSchema>;

export const RetentionRuleSchema = z.object({
  pattern: z.string(),
  days: z.number().int(),
  created_by: z.string(),
  created_at: z.string(),
  updated_by: z.string(),
  updated_at: z.string(),
  last_run: z
    .object({ at: z.string(), removed: z.number().int() })
    .nullable()
    .describe("the last hourly pass: when, and how many events this rule removed; null before the first"),
});
export type RetentionRule = z.infer<typeof RetentionRuleSchema>;

/** PUT /api/v1/retention/rules/{pattern}: the rule, and what it will delete at the next hourly pass. */
export const PutRetentionRuleAnswerSchema = RetentionRuleSchema.extend({
  events_to_delete: z
    .number()
    .int()
    .describe(
      "stored events of the services this rule now applies to that are older than its days (and younger than RETENTION_DAYS): what the next hourly pass deletes",
    ),
  services: z.array(z.string()).describe("the services holding those events"),
});
export type PutRetentionRuleAnswer = z.infer<typeof PutRetentionRuleAnswerSchema>;

/** GET /api/v1/retention/rules, and the retention section of GET /api/v1/metrics/system. */
export const RetentionRulesSchema = z.object({
  retention_days: z.number().int().describe("RETENTION_DAYS: every service's events go after this many days"),
  rules: z.array(RetentionRuleSchema).describe("most specific first: exact names, then longer globs"),
});
export type RetentionRules = z.infer<typeof RetentionRulesSchema>;

/**
 * The retention section of GET /api/v1/metrics/system (an open endpoint, so without who set what):
 * each rule's days and what it removed in the last hourly pass.
 */
export const RetentionSummarySchema = z.object({
  retention_days: RetentionRulesSchema.shape.retention_days,
  rules: z.array(RetentionRuleSchema.pick({ pattern: true, days: true, last_run: true })),
});
export type RetentionSummary = z.infer<typeof RetentionSummarySchema>;
