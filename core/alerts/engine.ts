import type { PatternRecord } from "../patterns/schema.ts";
import type { AlertRuleRepo, EvaluableRule, GroupValues, TriggeredAlertRepo } from "../ports/alerts.ts";
import type { AnomalyRepo } from "../ports/anomalies.ts";
import type { LogFilter, LogStore } from "../ports/log-store.ts";
import type { PatternRepo } from "../ports/patterns.ts";
import { parseLogQuery } from "../query/parse.ts";
import {
  type GroupOutcome,
  groupFilter,
  groupKey,
  groupOutcomes,
  isAggregated,
  ruleGroupLabel,
  watchesAbsence,
} from "./grouped.ts";
import type { Notice, Notifier } from "./notify.ts";
import type { Condition, Delivery, TriggeredAlert } from "./schema.ts";

const MINUTE = 60_000;
/** Log ids kept on a triggered alert, to jump from the alert to its logs. */
const SAMPLE_SIZE = 5;

export function conditionHolds(condition: Condition, value: number, threshold: number): boolean {
  switch (condition) {
    case "greater_than":
      return value > threshold;
    case "less_than":
      return value < threshold;
    case "equals":
      return value === threshold;
    case "greater_than_or_equal":
      return value >= threshold;
    case "less_than_or_equal":
      return value <= threshold;
  }
}

const SYMBOL: Record<Condition, string> = {
  greater_than: ">",
  less_than: "<",
  equals: "=",
  greater_than_or_equal: "≥",
  less_than_or_equal: "≤",
};

/** The logs a rule counts at `now`: its services, levels and query in [now − time_window, now]. */
export function ruleFilter(
  rule: Pick<EvaluableRule, "services" | "levels" | "query" | "time_window">,
  now: number,
): LogFilter {
  const f: LogFilter = { from: now - rule.time_window * MINUTE, to: now };
  if (rule.services.length) f.services = rule.services;
  if (rule.levels.length) f.levels = rule.levels;
  if (rule.query?.trim()) f.text = rule.query.trim();
  return f;
}

/**
 * Whether a rule's query parses. Rules are checked when saved, but one stored before the query
 * language (or under another version of it) may not: it is skipped and said so, instead of failing
 * the whole tick's grouped count for every other rule.
 */
function queryParses(deps: EngineDeps, rule: Pick<EvaluableRule, "id" | "name" | "query">): boolean {
  if (!rule.query?.trim()) return true;
  try {
    parseLogQuery(rule.query);
    return true;
  } catch (err) {
    deps.log?.({
      level: "warn",
      msg: "alert rule skipped: its query cannot be parsed; edit the rule",
      rule_id: rule.id,
      rule: rule.name,
      error: err instanceof Error ? err.message : String(err),
    });
    return false;
  }
}

export interface EngineDeps {
  store: LogStore;
  rules: AlertRuleRepo;
  alerts: TriggeredAlertRepo;
  notify: Notifier;
  /** Recorded anomalies, for rules with anomaly_severity; without it such rules count 0. */
  anomalies?: AnomalyRepo;
  /** Log pattern templates, for rules with new_pattern; without it such rules count 0. */
  patterns?: PatternRepo;
  log?: (line: Record<string, unknown>) => void;
  /** Counters (alerts_triggered_total{rule_name}, alerts_checked_total) where a registry exists. */
  telemetry?: { alertTriggered(ruleName: string): void; alertsChecked(count: number): void };
}

export interface EvaluationOutcome {
  rules: number;
  fired: number;
  resolved: number;
  /** Per rule id: the value this tick computed (for a grouped rule, its most extreme group's; see extreme). */
  values: Map<number, number>;
  /** Per grouped or aggregated rule id: each group's value this tick. */
  groups: Map<number, GroupOutcome[]>;
}

/** One thing that fires and resolves on its own: a rule, or one group of a grouped rule. */
interface Unit {
  rule: EvaluableRule;
  group: GroupValues | null;
  value: number | null;
  silentSince?: number;
}

/**
 * The value recorded as a grouped rule's last_value: the group nearest to firing, the largest for
 * greater/equal conditions and the smallest for less; null when no group had one.
 */
function extreme(condition: Condition, values: (number | null)[]): number | null {
  const xs = values.filter((v): v is number => v !== null);
  if (!xs.length) return null;
  return condition.startsWith("less") ? Math.min(...xs) : Math.max(...xs);
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

/**
 * One evaluation of every active rule at `now`:
 * 1. one grouped count for the plain rules (`countMany`), one groupMany for the rules with group_by or
 *    an aggregation (grouped.ts), one read of their open alerts;
 * 2. a rule (for a grouped rule: each group) whose condition holds, with no open alert and out of
 *    cooldown, fires: a triggered alert is recorded (the database keeps at most one open per rule and
 *    group, so racing evaluators cannot fire twice) and notified once; while the condition keeps holding
 *    nothing more is sent;
 * 3. one whose condition no longer holds has its open alert resolved when `auto_resolve`, with a
 *    resolved notice when `notify_on_resolve`; a group that sent nothing counts 0 (no value for
 *    functions of a field, which then do not hold);
 * 4. every rule's last_evaluated_at and last value are written in one statement.
 */
export async function evaluateRules(deps: EngineDeps, now: number): Promise<EvaluationOutcome> {
  const rules = (await deps.rules.listActive()).filter((r) => r.anomaly_severity || queryParses(deps, r));
  const values = new Map<number, number>();
  const groups = new Map<number, GroupOutcome[]>();
  if (!rules.length) return { rules: 0, fired: 0, resolved: 0, values, groups };
  // Log rules in one grouped count; anomaly rules in one count of recorded anomalies.
  const logRules = rules.filter((r) => !r.anomaly_severity && !r.new_pattern && !isAggregated(r));
  const aggregatedRules = rules.filter((r) => !r.anomaly_severity && !r.new_pattern && isAggregated(r));
  const anomalyRules = rules.filter((r) => r.anomaly_severity);
  const patternRules = rules.filter((r) => r.new_pattern);
  const groupedWithCooldown = aggregatedRules.filter((r) => r.group_by.length && r.cooldown_minutes > 0);
  const [logCounts, anomalyCounts, open, newPatterns, outcomes, lastFired] = await Promise.all([
    deps.store.countMany(logRules.map((r) => ruleFilter(r, now))),
    anomalyRules.length && deps.anomalies
      ? deps.anomalies.countMany(
          anomalyRules.map((r) => ({
            from: now - r.time_window * MINUTE,
            to: now,
            minSeverity: r.anomaly_severity!,
            services: r.services,
          })),
        )
      : anomalyRules.map(() => 0),
    deps.alerts.openFor(rules.map((r) => r.id)),
    Promise.all(patternRules.map((r) => newPatternsOf(deps, r, now))),
    groupOutcomes(
      deps,
      aggregatedRules,
      now,
      (r) => ruleFilter(r, now) as LogFilter & { from: number; to: number },
      (r) => watchesAbsence(r, conditionHolds),
    ),
    groupedWithCooldown.length
      ? deps.alerts.lastFiredByGroup(groupedWithCooldown.map((r) => r.id))
      : Promise.resolve([]),
  ]);
  const patternsOf = new Map(patternRules.map((r, i) => [r.id, newPatterns[i] ?? []]));
  const countOf = new Map<number, number>([
    ...logRules.map((r, i) => [r.id, logCounts[i] ?? 0] as const),
    ...anomalyRules.map((r, i) => [r.id, anomalyCounts[i] ?? 0] as const),
    ...patternRules.map((r, i) => [r.id, newPatterns[i]?.length ?? 0] as const),
  ]);
  const ruleById = new Map(rules.map((r) => [r.id, r]));
  const unitKey = (rule: EvaluableRule, group: GroupValues | null) =>
    `${rule.id}\u0000${groupKey(rule, group)}`;
  const openByUnit = new Map(
    open.flatMap((a) => {
      const rule = ruleById.get(a.rule_id);
      return rule ? [[unitKey(rule, a.group), a] as const] : [];
    }),
  );
  const lastFiredOf = new Map(
    lastFired.flatMap((f) => {
      const rule = ruleById.get(f.rule_id);
      return rule ? [[unitKey(rule, f.group), f.at] as const] : [];
    }),
  );

  const plain = rules.filter((r) => !isAggregated(r) || r.anomaly_severity || r.new_pattern);
  const units: Unit[] = plain.map((rule) => ({ rule, group: null, value: countOf.get(rule.id) ?? 0 }));
  // A rule edited to stop grouping: its groups' open alerts have nothing left to hold them.
  const plainIds = new Set(plain.map((r) => r.id));
  for (const a of open) {
    const rule = ruleById.get(a.rule_id);
    if (rule && a.group && plainIds.has(rule.id)) units.push({ rule, group: a.group, value: null });
  }
  for (const rule of aggregatedRules) {
    const found = outcomes.get(rule.id) ?? [];
    groups.set(rule.id, found);
    const seen = new Set<string>();
    for (const g of found) {
      seen.add(unitKey(rule, g.group));
      units.push({ rule, group: g.group, value: g.value, silentSince: g.silentSince });
    }
    // An open alert of a group that sent nothing this window: 0 events, and no value of a field.
    for (const a of open) {
      if (a.rule_id !== rule.id || seen.has(unitKey(rule, a.group))) continue;
      units.push({ rule, group: a.group, value: rule.aggregation === "count" ? 0 : null });
    }
    const v = extreme(
      rule.condition,
      found.map((g) => g.value),
    );
    if (v !== null) values.set(rule.id, v);
  }
  for (const [id, v] of countOf) values.set(id, v);

  const notices: Notice[] = [];
  let fired = 0;
  let resolved = 0;

  await Promise.all(
    units.map(async ({ rule, group, value, silentSince }) => {
      const holds = value !== null && conditionHolds(rule.condition, value, rule.threshold);
      let current = openByUnit.get(unitKey(rule, group));
      const fresh = patternsOf.get(rule.id);
      if (holds && current && fresh?.length) {
        // Each new pattern is news of its own: the alert for the previous ones makes way for this one.
        const done = await deps.alerts.resolve(current.id, null, now);
        if (done.ok) current = undefined;
      }
      if (holds) {
        if (current) return; // already notified for this episode
        const lastAt = group
          ? lastFiredOf.get(unitKey(rule, group))
          : rule.last_triggered_at
            ? Date.parse(rule.last_triggered_at)
            : undefined;
        if (lastAt !== undefined && now < lastAt + rule.cooldown_minutes * MINUTE) return;
        const filter = ruleFilter(rule, now);
        const sample =
          value > 0 && !rule.anomaly_severity && !fresh
            ? await sampleIds(deps.store, group ? groupFilter(filter, rule, group) : filter)
            : [];
        const counted = rule.anomaly_severity
          ? `${value} anomalies of severity ${rule.anomaly_severity} or worse`
          : fresh
            ? `${value} new log pattern${value === 1 ? "" : "s"} (${fresh
                .slice(0, 5)
                .map((p) => `${p.service}: ${JSON.stringify(p.template.slice(0, 200))}`)
                .join("; ")}${fresh.length > 5 ? "; …" : ""})`
            : rule.aggregation !== "count"
              ? `${rule.aggregation}(${rule.field}) = ${formatValue(value)}`
              : silentSince !== undefined
                ? `no matching logs (last seen ${new Date(silentSince).toISOString()})`
                : `${value} matching logs`;
        const about = group ? ` [${ruleGroupLabel(rule, group)}]` : "";
        const alert = await deps.alerts.fire({
          rule_id: rule.id,
          triggered_at: now,
          value,
          threshold: rule.threshold,
          condition: rule.condition,
          time_window: rule.time_window,
          window_start: filter.from!,
          window_end: now,
          message: `${rule.name}${about}: ${counted} in the last ${rule.time_window} min (${SYMBOL[rule.condition]} ${rule.threshold})`,
          sample_log_ids: sample,
          group,
          aggregation: rule.aggregation,
        });
        if (!alert) return; // another evaluator fired it first
        if (fresh?.length && deps.patterns)
          await deps.patterns.markAlerted(
            rule.id,
            fresh.map((p) => p.id),
          );
        fired++;
        deps.telemetry?.alertTriggered(rule.name);
        notices.push({ kind: "triggered", rule, alert, at: now });
      } else if (current && rule.auto_resolve) {
        const done = await deps.alerts.resolve(current.id, null, now);
        if (!done.ok) return;
        resolved++;
        if (rule.notify_on_resolve) notices.push({ kind: "resolved", rule, alert: done.alert, at: now });
      }
    }),
  );

  await deps.rules.recordEvaluations(
    now,
    rules.map((r) => ({ id: r.id, value: values.get(r.id) ?? null })),
  );
  deps.telemetry?.alertsChecked(rules.length);

  // Deliveries last: a slow webhook never delays the bookkeeping above.
  await Promise.all(notices.map((n) => sendAndRecord(deps, n)));
  return { rules: rules.length, fired, resolved, values, groups };
}

/**
 * Templates first seen in the rule's window, of its services, that it has not fired for; with levels or
 * a query, only those with matching events in the window.
 */
async function newPatternsOf(deps: EngineDeps, rule: EvaluableRule, now: number): Promise<PatternRecord[]> {
  if (!deps.patterns) return [];
  const from = now - rule.time_window * MINUTE;
  let found = await deps.patterns.firstSeenIn(from, now, rule.services, 500);
  if (found.length > 0 && (rule.levels.length > 0 || rule.query?.trim())) {
    const counts = await deps.store.patternCounts(
      { ...ruleFilter(rule, now), from, to: now },
      rule.time_window * MINUTE,
      10_000,
    );
    const present = new Set(counts.patterns.map((p) => p.id));
    found = found.filter((p) => present.has(p.id));
  }
  const unalerted = new Set(
    await deps.patterns.unalerted(
      rule.id,
      found.map((p) => p.id),
    ),
  );
  return found.filter((p) => unalerted.has(p.id));
}

/** A few of the newest matching log ids (the page only: counting every match again would be waste). */
async function sampleIds(store: LogStore, filter: LogFilter): Promise<string[]> {
  return (await store.search({ ...filter, limit: SAMPLE_SIZE, withTotal: false })).logs.map((l) => l.id);
}

async function sendAndRecord(deps: EngineDeps, n: Notice): Promise<Delivery> {
  let delivery: Delivery;
  try {
    delivery = await deps.notify(n);
  } catch (err) {
    delivery = {
      kind: n.kind,
      channel: n.rule.notification_channel,
      ok: false,
      status: null,
      attempts: 0,
      error: String(err),
      at: new Date().toISOString(),
    };
  }
  await deps.alerts.addDelivery(n.alert.id, delivery);
  if (!delivery.ok) {
    deps.log?.({
      level: "WARNING",
      msg: "alert notification failed",
      alert_id: n.alert.id,
      rule_id: n.rule.id,
      channel: delivery.channel,
      error: delivery.error,
    });
  }
  return delivery;
}

export type { TriggeredAlert };
