import type { GroupValues } from "../../common/groups.ts";
import type {
  AlertRule,
  AlertRuleFields,
  AlertStatus,
  Condition,
  Delivery,
  RuleAggregation,
  TriggeredAlert,
} from "../alerts/schema.ts";

/** A rule as the engine reads it: with the secret that signs its webhook deliveries. */
export interface EvaluableRule extends AlertRule {
  signing_secret: string | null;
  /** Absence rules: the end of the last window whose groups are recorded as seen (ISO), or null. */
  groups_seen_until?: string | null;
}

/** A group's values by field name ({"service": "checkout"}); null where its events have none. */
export type { GroupValues };

/** A group an absence rule has seen, and the newest time it was seen (epoch ms). */
export interface SeenGroup {
  rule_id: number;
  group: GroupValues;
  last_seen: number;
}

export interface NewTriggeredAlert {
  rule_id: number;
  triggered_at: number;
  value: number;
  threshold: number;
  condition: Condition;
  time_window: number;
  window_start: number;
  window_end: number;
  message: string;
  sample_log_ids: string[];
  /** The group of a grouped rule; null (or absent) for an ungrouped one. */
  group?: GroupValues | null;
  aggregation?: RuleAggregation;
}

export interface TriggeredAlertQuery {
  status?: AlertStatus;
  rule_id?: number;
  /** Epoch ms, inclusive bounds on triggered_at. */
  from?: number;
  to?: number;
  limit: number;
  offset: number;
}

/** Why a state change was refused. */
export type TransitionResult =
  | { ok: true; alert: TriggeredAlert }
  | { ok: false; reason: "not_found" }
  | { ok: false; reason: "invalid"; status: AlertStatus };

/** The `alert_rules` table. */
export interface AlertRuleRepo {
  create(rule: AlertRuleFields & { created_by: number | null; signing_secret: string }): Promise<AlertRule>;
  get(id: number): Promise<AlertRule | null>;
  list(q: {
    is_active?: boolean;
    limit: number;
    offset: number;
  }): Promise<{ rules: AlertRule[]; total: number }>;
  update(id: number, patch: Partial<AlertRuleFields>): Promise<AlertRule | null>;
  delete(id: number): Promise<boolean>;
  /** Every active rule, with its signing secret. */
  listActive(): Promise<EvaluableRule[]>;
  /** last_evaluated_at and last_value of many rules in one statement. */
  recordEvaluations(at: number, values: { id: number; value: number | null }[]): Promise<void>;
  /** The groups these absence rules have seen (alert_groups_seen). */
  seenGroups(ruleIds: number[]): Promise<SeenGroup[]>;
  /**
   * Per rule: the groups seen (a newer last_seen wins), the seen groups older than `keepFrom` dropped,
   * and groups_seen_until set to `until`; all in one transaction.
   */
  recordSeenGroups(
    rules: {
      id: number;
      until: number;
      keepFrom: number;
      groups: { group: GroupValues; last_seen: number }[];
    }[],
  ): Promise<void>;
}

/** The `triggered_alerts` table. */
export interface TriggeredAlertRepo {
  /**
   * Record a firing and bump the rule's trigger stats; null when the rule already has an open alert (for
   * a grouped rule: for that group).
   */
  fire(alert: NewTriggeredAlert): Promise<TriggeredAlert | null>;
  /** Open (triggered or acknowledged) alerts of these rules. */
  openFor(ruleIds: number[]): Promise<TriggeredAlert[]>;
  /** Per rule and group: when its newest alert fired (epoch ms), for grouped rules' cooldowns. */
  lastFiredByGroup(ruleIds: number[]): Promise<{ rule_id: number; group: GroupValues; at: number }[]>;
  addDelivery(id: number, delivery: Delivery): Promise<void>;
  get(id: number): Promise<TriggeredAlert | null>;
  list(q: TriggeredAlertQuery): Promise<{ alerts: TriggeredAlert[]; total: number }>;
  /** triggered → acknowledged. */
  acknowledge(id: number, by: number, at: number): Promise<TransitionResult>;
  /** triggered | acknowledged → resolved; `by` null means resolved by the engine. */
  resolve(id: number, by: number | null, at: number): Promise<TransitionResult>;
}

/** Scheduler ticks in the database: with several schedulers, each tick is claimed by exactly one. */
export interface AlertTickRepo {
  /** True for the one caller that claims the tick. */
  claim(tick: number, owner: string): Promise<boolean>;
  finish(
    tick: number,
    outcome: { rules: number; fired: number; resolved: number; error?: string },
  ): Promise<void>;
}
