import type { Severity as AnomalySeverity } from "../anomaly/anomalies.ts";
import type { Level } from "../level.ts";

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

export const ALERT_STATUSES = ["triggered", "acknowledged", "resolved"] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** The fields a rule's owner sets (create and update). Wire names, as in the seed. */
export interface AlertRuleFields {
  name: string;
  description: string | null;
  condition: Condition;
  threshold: number;
  /** Minutes, 1–1440: the rule counts logs in [now − time_window, now]. */
  time_window: number;
  levels: Level[];
  services: string[];
  /** Full-text filter, the search box's syntax; null for none. */
  query: string | null;
  notification_channel: Channel;
  notification_config: Record<string, unknown>;
  is_active: boolean;
  /** After an alert of this rule fires, no new one fires for this many minutes. */
  cooldown_minutes: number;
  severity: Severity;
  /** Resolve the open alert by itself once the condition no longer holds. */
  auto_resolve: boolean;
  /** Also notify when the alert auto-resolves. */
  notify_on_resolve: boolean;
  /**
   * Set: the rule counts recorded anomalies of at least this severity (of its services, or of any) in
   * its window instead of logs; levels and query do not apply. Null: an ordinary log-count rule.
   */
  anomaly_severity: AnomalySeverity | null;
}

export interface AlertRule extends AlertRuleFields {
  id: number;
  created_by: number | null;
  created_at: string;
  updated_at: string;
  last_evaluated_at: string | null;
  last_triggered_at: string | null;
  last_value: number | null;
  trigger_count: number;
}

/** A rule as the engine reads it: with the secret that signs its webhook deliveries. */
export interface EvaluableRule extends AlertRule {
  signing_secret: string | null;
}

/** One notification's outcome, kept on the triggered alert. */
export interface Delivery {
  kind: "triggered" | "resolved";
  channel: Channel;
  ok: boolean;
  /** HTTP status of the last attempt, when one was answered. */
  status: number | null;
  attempts: number;
  error: string | null;
  at: string;
}

export interface TriggeredAlert {
  id: number;
  rule_id: number;
  rule_name: string | null;
  severity: Severity | null;
  triggered_at: string;
  value: number;
  threshold: number;
  condition: Condition | null;
  time_window: number | null;
  window_start: string | null;
  window_end: string | null;
  status: AlertStatus;
  message: string | null;
  sample_log_ids: string[];
  deliveries: Delivery[];
  acknowledged_by: number | null;
  acknowledged_at: string | null;
  resolved_by: number | null;
  resolved_at: string | null;
  auto_resolved: boolean;
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
  recordEvaluations(at: number, values: { id: number; value: number }[]): Promise<void>;
}

/** The `triggered_alerts` table. */
export interface TriggeredAlertRepo {
  /** Record a firing and bump the rule's trigger stats; null when the rule already has an open alert. */
  fire(alert: NewTriggeredAlert): Promise<TriggeredAlert | null>;
  /** Open (triggered or acknowledged) alerts of these rules. */
  openFor(ruleIds: number[]): Promise<TriggeredAlert[]>;
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
