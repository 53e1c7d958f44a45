import { z } from "zod";
import { ALERT_STATUSES } from "../../core/alerts/schema.ts";

export { AlertRuleCreateSchema, AlertRuleUpdateSchema } from "../../core/alerts/schema.ts";

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
