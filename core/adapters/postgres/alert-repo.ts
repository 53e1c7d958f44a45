import type { Sql } from "postgres";
import {
  type AlertRule,
  type AlertRuleFields,
  AlertRuleFieldsSchema,
  type Delivery,
  type TriggeredAlert,
} from "../../alerts/schema.ts";
import type {
  AlertRuleRepo,
  AlertTickRepo,
  EvaluableRule,
  GroupValues,
  NewTriggeredAlert,
  SeenGroup,
  TransitionResult,
  TriggeredAlertQuery,
  TriggeredAlertRepo,
} from "../../ports/alerts.ts";

type Time = Date | string | null;
/** bigint columns come back as strings. */
type Id = number | string;

const iso = (t: Time): string | null => (t === null ? null : new Date(t).toISOString());
const at = (ms: number): string => new Date(ms).toISOString();

type RuleTimes = "created_at" | "updated_at" | "last_evaluated_at" | "last_triggered_at";

/** An `alert_rules` row as postgres.js returns it. */
type RuleRow = Omit<AlertRule, "id" | "created_by" | "notification_config" | RuleTimes> &
  Record<RuleTimes, Time> & {
    id: Id;
    created_by: Id | null;
    notification_config: Record<string, unknown> | null;
    signing_secret?: string | null;
    groups_seen_until?: Time;
  };

const toRule = (r: RuleRow): AlertRule => ({
  id: Number(r.id),
  name: r.name,
  description: r.description,
  condition: r.condition,
  threshold: Number(r.threshold),
  time_window: r.time_window,
  levels: r.levels ?? [],
  services: r.services ?? [],
  query: r.query,
  notification_channel: r.notification_channel,
  notification_config: r.notification_config ?? {},
  is_active: r.is_active,
  cooldown_minutes: r.cooldown_minutes,
  severity: r.severity,
  auto_resolve: r.auto_resolve,
  notify_on_resolve: r.notify_on_resolve,
  anomaly_severity: r.anomaly_severity ?? null,
  new_pattern: r.new_pattern ?? false,
  group_by: r.group_by ?? [],
  aggregation: r.aggregation ?? "count",
  field: r.field ?? null,
  absence_lookback_minutes: r.absence_lookback_minutes ?? 1440,
  created_by: r.created_by === null ? null : Number(r.created_by),
  created_at: iso(r.created_at)!,
  updated_at: iso(r.updated_at)!,
  last_evaluated_at: iso(r.last_evaluated_at),
  last_triggered_at: iso(r.last_triggered_at),
  last_value: r.last_value === null ? null : Number(r.last_value),
  trigger_count: r.trigger_count,
});

/** The columns a rule's owner sets: one per field of the wire schema. */
const RULE_COLUMNS = Object.keys(AlertRuleFieldsSchema.shape) as (keyof AlertRuleFields)[];

/** Fields that change which groups an absence rule has seen: changing one forgets them. */
const SEEN_GROUP_INPUTS: (keyof AlertRuleFields)[] = [
  "query",
  "services",
  "levels",
  "group_by",
  "absence_lookback_minutes",
];

/** The `alert_rules` table. */
export class PostgresAlertRuleRepo implements AlertRuleRepo {
  constructor(private readonly sql: Sql) {}

  async create(
    rule: AlertRuleFields & { created_by: number | null; signing_secret: string },
  ): Promise<AlertRule> {
    const sql = this.sql;
    const [row] = await sql<RuleRow[]>`
      insert into alert_rules (name, description, condition, threshold, time_window, levels, services, query,
        notification_channel, notification_config, is_active, cooldown_minutes, severity, auto_resolve,
        notify_on_resolve, anomaly_severity, new_pattern, group_by, aggregation, field, absence_lookback_minutes,
        created_by, signing_secret)
      values (${rule.name}, ${rule.description}, ${rule.condition}, ${rule.threshold}, ${rule.time_window},
        ${rule.levels}::text[], ${rule.services}::text[], ${rule.query}, ${rule.notification_channel},
        ${sql.json(rule.notification_config as never)}, ${rule.is_active}, ${rule.cooldown_minutes},
        ${rule.severity}, ${rule.auto_resolve}, ${rule.notify_on_resolve}, ${rule.anomaly_severity},
        ${rule.new_pattern}, ${rule.group_by}::text[], ${rule.aggregation}, ${rule.field},
        ${rule.absence_lookback_minutes}, ${rule.created_by}, ${rule.signing_secret})
      returning *`;
    return toRule(row!);
  }

  async get(id: number): Promise<AlertRule | null> {
    const [row] = await this.sql<RuleRow[]>`select * from alert_rules where id = ${id}`;
    return row ? toRule(row) : null;
  }

  async list(q: { is_active?: boolean; limit: number; offset: number }) {
    const sql = this.sql;
    const where = q.is_active === undefined ? sql`true` : sql`is_active = ${q.is_active}`;
    const [rows, [counted]] = await Promise.all([
      sql<
        RuleRow[]
      >`select * from alert_rules where ${where} order by id limit ${q.limit} offset ${q.offset}`,
      sql<{ n: number }[]>`select count(*)::int as n from alert_rules where ${where}`,
    ]);
    return { rules: rows.map(toRule), total: counted?.n ?? 0 };
  }

  async update(id: number, patch: Partial<AlertRuleFields>): Promise<AlertRule | null> {
    const sql = this.sql;
    const sets = RULE_COLUMNS.filter((c) => patch[c] !== undefined).map((c) => {
      const v = patch[c];
      if (c === "levels" || c === "services" || c === "group_by")
        return sql`${sql(c)} = ${v as string[]}::text[]`;
      if (c === "notification_config") return sql`${sql(c)} = ${sql.json(v as never)}`;
      return sql`${sql(c)} = ${v as string | number | boolean | null}`;
    });
    const forget = SEEN_GROUP_INPUTS.some((c) => patch[c] !== undefined);
    if (forget) sets.push(sql`groups_seen_until = null`);
    const assignments = sets.reduce((acc, s) => sql`${acc}, ${s}`, sql`updated_at = now()`);
    return sql.begin(async (tx) => {
      const [row] = await tx<RuleRow[]>`update alert_rules set ${assignments} where id = ${id} returning *`;
      if (row && forget) await tx`delete from alert_groups_seen where rule_id = ${id}`;
      return row ? toRule(row) : null;
    });
  }

  async delete(id: number): Promise<boolean> {
    const rows = await this.sql`delete from alert_rules where id = ${id} returning id`;
    return rows.length > 0;
  }

  async listActive(): Promise<EvaluableRule[]> {
    const rows = await this.sql<RuleRow[]>`select * from alert_rules where is_active order by id`;
    return rows.map((r) => ({
      ...toRule(r),
      signing_secret: r.signing_secret ?? null,
      groups_seen_until: iso(r.groups_seen_until ?? null),
    }));
  }

  async recordEvaluations(when: number, values: { id: number; value: number | null }[]): Promise<void> {
    if (!values.length) return;
    await this.sql`
      update alert_rules r set last_evaluated_at = ${at(when)}::timestamptz, last_value = v.value
      from unnest(${values.map((v) => v.id)}::bigint[], ${values.map((v) => v.value)}::float8[]) as v(id, value)
      where r.id = v.id`;
  }

  async seenGroups(ruleIds: number[]): Promise<SeenGroup[]> {
    if (!ruleIds.length) return [];
    const rows = await this.sql<{ rule_id: Id; group_values: GroupValues; last_seen: Date }[]>`
      select rule_id, group_values, last_seen from alert_groups_seen where rule_id = any(${ruleIds}::bigint[])`;
    return rows.map((r) => ({
      rule_id: Number(r.rule_id),
      group: r.group_values,
      last_seen: new Date(r.last_seen).getTime(),
    }));
  }

  async recordSeenGroups(
    rules: {
      id: number;
      until: number;
      keepFrom: number;
      groups: { group: GroupValues; last_seen: number }[];
    }[],
  ): Promise<void> {
    if (!rules.length) return;
    const seen = rules.flatMap((r) =>
      r.groups.map((g) => ({ rule_id: r.id, group_values: g.group, last_seen: at(g.last_seen) })),
    );
    const marks = rules.map((r) => ({ id: r.id, until: at(r.until), keep_from: at(r.keepFrom) }));
    await this.sql.begin(async (tx) => {
      if (seen.length) {
        await tx`
          insert into alert_groups_seen (rule_id, group_values, last_seen)
          select rule_id, group_values, max(last_seen) from jsonb_to_recordset(${tx.json(seen as never)}::jsonb)
            as s(rule_id bigint, group_values jsonb, last_seen timestamptz)
          where rule_id in (select id from alert_rules)
          group by 1, 2
          on conflict (rule_id, group_values) do update
            set last_seen = greatest(alert_groups_seen.last_seen, excluded.last_seen)`;
      }
      await tx`
        with m as (
          select * from jsonb_to_recordset(${tx.json(marks as never)}::jsonb)
            as m(id bigint, until timestamptz, keep_from timestamptz)
        ), pruned as (
          delete from alert_groups_seen g using m where g.rule_id = m.id and g.last_seen < m.keep_from
        )
        update alert_rules r set groups_seen_until = m.until from m where r.id = m.id`;
    });
  }
}

type AlertTimes = "triggered_at" | "window_start" | "window_end" | "acknowledged_at" | "resolved_at";

/** A `triggered_alerts` row (joined to its rule's name and severity) as postgres.js returns it. */
type AlertRow = Omit<
  TriggeredAlert,
  "id" | "rule_id" | "acknowledged_by" | "resolved_by" | "sample_log_ids" | "deliveries" | AlertTimes
> &
  Record<AlertTimes, Time> & {
    id: Id;
    rule_id: Id;
    acknowledged_by: Id | null;
    resolved_by: Id | null;
    sample_log_ids: string[] | null;
    deliveries: Delivery[] | null;
    group_values: GroupValues | null;
    aggregation: AlertRule["aggregation"] | null;
  };

const nullableId = (v: number | string | null) => (v === null ? null : Number(v));

const toAlert = (r: AlertRow): TriggeredAlert => ({
  id: Number(r.id),
  rule_id: Number(r.rule_id),
  rule_name: r.rule_name ?? null,
  severity: r.severity ?? null,
  triggered_at: iso(r.triggered_at)!,
  value: Number(r.value),
  threshold: Number(r.threshold),
  condition: r.condition,
  time_window: r.time_window,
  group: r.group_values ?? null,
  aggregation: r.aggregation ?? null,
  window_start: iso(r.window_start),
  window_end: iso(r.window_end),
  status: r.status,
  message: r.message,
  sample_log_ids: r.sample_log_ids ?? [],
  deliveries: r.deliveries ?? [],
  acknowledged_by: nullableId(r.acknowledged_by),
  acknowledged_at: iso(r.acknowledged_at),
  resolved_by: nullableId(r.resolved_by),
  resolved_at: iso(r.resolved_at),
  auto_resolved: r.auto_resolved,
});

/** The `triggered_alerts` table (joined to its rule for name and severity). */
export class PostgresTriggeredAlertRepo implements TriggeredAlertRepo {
  constructor(private readonly sql: Sql) {}

  async fire(a: NewTriggeredAlert): Promise<TriggeredAlert | null> {
    // The partial unique index (one open alert per rule) turns a racing second firing into no row; the
    // rule's stats move only when this statement inserted.
    const [row] = await this.sql<AlertRow[]>`
      with ins as (
        insert into triggered_alerts (rule_id, triggered_at, value, threshold, condition, time_window,
          window_start, window_end, message, sample_log_ids, group_values, aggregation)
        values (${a.rule_id}, ${at(a.triggered_at)}::timestamptz, ${a.value}, ${a.threshold}, ${a.condition},
          ${a.time_window}, ${at(a.window_start)}::timestamptz, ${at(a.window_end)}::timestamptz, ${a.message},
          ${a.sample_log_ids}::text[], ${a.group ? this.sql.json(a.group as never) : null}::jsonb,
          ${a.aggregation ?? null})
        on conflict do nothing
        returning *
      ), bump as (
        update alert_rules set last_triggered_at = ${at(a.triggered_at)}::timestamptz,
          trigger_count = trigger_count + 1
        where id = ${a.rule_id} and exists (select 1 from ins)
        returning name, severity
      )
      select ins.*, bump.name as rule_name, bump.severity from ins, bump`;
    return row ? toAlert(row) : null;
  }

  async openFor(ruleIds: number[]): Promise<TriggeredAlert[]> {
    if (!ruleIds.length) return [];
    const rows = await this.sql<AlertRow[]>`
      select t.*, r.name as rule_name, r.severity from triggered_alerts t join alert_rules r on r.id = t.rule_id
      where t.status in ('triggered', 'acknowledged') and t.rule_id = any(${ruleIds}::bigint[])`;
    return rows.map(toAlert);
  }

  async lastFiredByGroup(ruleIds: number[]): Promise<{ rule_id: number; group: GroupValues; at: number }[]> {
    if (!ruleIds.length) return [];
    const rows = await this.sql<{ rule_id: Id; group_values: GroupValues; at: Date }[]>`
      select rule_id, group_values, max(triggered_at) as at from triggered_alerts
      where rule_id = any(${ruleIds}::bigint[]) and group_values is not null
      group by 1, 2`;
    return rows.map((r) => ({
      rule_id: Number(r.rule_id),
      group: r.group_values,
      at: new Date(r.at).getTime(),
    }));
  }

  async addDelivery(id: number, d: Delivery): Promise<void> {
    await this.sql`
      update triggered_alerts set deliveries = deliveries || ${this.sql.json([d] as never)} where id = ${id}`;
  }

  async get(id: number): Promise<TriggeredAlert | null> {
    const [row] = await this.sql<AlertRow[]>`
      select t.*, r.name as rule_name, r.severity from triggered_alerts t join alert_rules r on r.id = t.rule_id
      where t.id = ${id}`;
    return row ? toAlert(row) : null;
  }

  async list(q: TriggeredAlertQuery) {
    const sql = this.sql;
    const conds = [sql`true`];
    if (q.status) conds.push(sql`and t.status = ${q.status}`);
    if (q.rule_id !== undefined) conds.push(sql`and t.rule_id = ${q.rule_id}`);
    if (q.from !== undefined) conds.push(sql`and t.triggered_at >= ${at(q.from)}::timestamptz`);
    if (q.to !== undefined) conds.push(sql`and t.triggered_at <= ${at(q.to)}::timestamptz`);
    const where = conds.reduce((acc, c) => sql`${acc} ${c}`);
    const [rows, [counted]] = await Promise.all([
      sql<AlertRow[]>`
        select t.*, r.name as rule_name, r.severity from triggered_alerts t join alert_rules r on r.id = t.rule_id
        where ${where} order by t.triggered_at desc, t.id desc limit ${q.limit} offset ${q.offset}`,
      sql<{ n: number }[]>`select count(*)::int as n from triggered_alerts t where ${where}`,
    ]);
    return { alerts: rows.map(toAlert), total: counted?.n ?? 0 };
  }

  async acknowledge(id: number, by: number, when: number): Promise<TransitionResult> {
    const rows = await this.sql<{ id: number }[]>`
      update triggered_alerts set status = 'acknowledged', acknowledged_by = ${by},
        acknowledged_at = ${at(when)}::timestamptz
      where id = ${id} and status = 'triggered' returning id`;
    return this.outcome(id, rows.length > 0);
  }

  async resolve(id: number, by: number | null, when: number): Promise<TransitionResult> {
    const rows = await this.sql<{ id: number }[]>`
      update triggered_alerts set status = 'resolved', resolved_by = ${by}, resolved_at = ${at(when)}::timestamptz,
        auto_resolved = ${by === null}
      where id = ${id} and status in ('triggered', 'acknowledged') returning id`;
    return this.outcome(id, rows.length > 0);
  }

  private async outcome(id: number, changed: boolean): Promise<TransitionResult> {
    const alert = await this.get(id);
    if (!alert) return { ok: false, reason: "not_found" };
    return changed ? { ok: true, alert } : { ok: false, reason: "invalid", status: alert.status };
  }
}

/** The `alert_ticks` table: one row per evaluated scheduler tick. */
export class PostgresAlertTickRepo implements AlertTickRepo {
  constructor(private readonly sql: Sql) {}

  async claim(tick: number, owner: string): Promise<boolean> {
    const rows = await this.sql`
      insert into alert_ticks (tick, claimed_by) values (${tick}, ${owner}) on conflict do nothing returning tick`;
    if (rows.length > 0 && tick % 1000 === 0) {
      // Keep the table small: a week of one-minute ticks is ~10k rows.
      await this.sql`delete from alert_ticks where started_at < now() - interval '7 days'`;
    }
    return rows.length > 0;
  }

  async finish(tick: number, o: { rules: number; fired: number; resolved: number; error?: string }) {
    await this.sql`
      update alert_ticks set finished_at = now(), rules = ${o.rules}, fired = ${o.fired},
        resolved = ${o.resolved}, error = ${o.error ?? null}
      where tick = ${tick}`;
  }
}
