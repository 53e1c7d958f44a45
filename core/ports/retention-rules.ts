import type { RetentionRule } from "../retention/schema.ts";

/** Per-service retention rules (table `retention_rules`, migration 13). */
export interface RetentionRuleRepo {
  /** Every rule, most specific first. */
  list(): Promise<RetentionRule[]>;
  /** Create the rule for `pattern`, or change its days. */
  put(pattern: string, days: number, by: string): Promise<RetentionRule>;
  /** False when there was no such rule. */
  delete(pattern: string): Promise<boolean>;
  /** What the pass at `at` removed per pattern. */
  recordRun(at: number, removed: Map<string, number>): Promise<void>;
}
