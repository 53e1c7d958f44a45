import { groupLabel } from "../../common/groups.ts";
import type { AlertRuleRepo, EvaluableRule, GroupValues, SeenGroup } from "../ports/alerts.ts";
import type { GroupedQuery, GroupedValue, LogFilter, LogStore } from "../ports/log-store.ts";
import type { Field } from "../query/ast.ts";
import { formatQuery } from "../query/format.ts";
import { parseFieldName } from "../query/schema.ts";
import type { Condition } from "./schema.ts";

const MINUTE = 60_000;

/** Groups one rule evaluates per tick, at most: the largest by count (a rule on trace_id stays bounded). */
export const MAX_GROUPS_PER_RULE = 1000;

type Rule = Pick<
  EvaluableRule,
  | "id"
  | "condition"
  | "threshold"
  | "time_window"
  | "services"
  | "levels"
  | "query"
  | "group_by"
  | "aggregation"
  | "field"
  | "absence_lookback_minutes"
  | "groups_seen_until"
>;

/** One group's outcome this tick: its value (null: no event had a number there) and how it was seen. */
export interface GroupOutcome {
  group: GroupValues | null;
  value: number | null;
  count: number;
  /** Set when the group sent nothing in the window but was seen in the lookback before it. */
  silentSince?: number;
}

/** Whether the rule is evaluated through groupMany (per group, or a function of a field), not countMany. */
export function isAggregated(rule: Pick<EvaluableRule, "group_by" | "aggregation">): boolean {
  return rule.group_by.length > 0 || rule.aggregation !== "count";
}

/**
 * Whether a grouped count rule also covers groups that sent nothing: its condition holds at 0
 * (less_than 5, less_than_or_equal 0, equals 0), so a group gone silent is what it is about.
 */
export function watchesAbsence(
  rule: Pick<EvaluableRule, "group_by" | "aggregation" | "condition" | "threshold">,
  holds: (c: Condition, value: number, threshold: number) => boolean,
): boolean {
  return rule.group_by.length > 0 && rule.aggregation === "count" && holds(rule.condition, 0, rule.threshold);
}

/** The rule's group_by as fields (names are checked when the rule is saved). */
export function groupFields(rule: Pick<EvaluableRule, "group_by">): Field[] {
  return rule.group_by.flatMap((name) => {
    const f = parseFieldName(name);
    return f ? [f] : [];
  });
}

/** A group's identity within its rule: its values in group_by order. */
export function groupKey(rule: Pick<EvaluableRule, "group_by">, group: GroupValues | null): string {
  return group ? JSON.stringify(rule.group_by.map((f) => group[f] ?? null)) : "";
}

/** `service=checkout, level=ERROR`: how a message names a group (common/groups.ts, as the dashboard does). */
export function ruleGroupLabel(rule: Pick<EvaluableRule, "group_by">, group: GroupValues): string {
  return groupLabel(group, rule.group_by);
}

/** The rule's filter narrowed to one group (for the alert's sample log ids), in the query language. */
export function groupFilter(
  filter: LogFilter,
  rule: Pick<EvaluableRule, "group_by">,
  group: GroupValues,
): LogFilter {
  const terms = groupFields(rule).map((field, i) => {
    const value = group[rule.group_by[i] as string] ?? null;
    return value === null
      ? `NOT ${formatQuery({ type: "exists", field })}`
      : formatQuery({ type: "equals", field, value });
  });
  const text = filter.text?.trim()
    ? `(${filter.text.trim()}) AND ${terms.join(" AND ")}`
    : terms.join(" AND ");
  return { ...filter, text };
}

function valuesOf(rule: Rule, g: GroupedValue): GroupValues | null {
  if (rule.group_by.length === 0) return null;
  return Object.fromEntries(rule.group_by.map((f, i) => [f, g.group[i] ?? null]));
}

function queryOf(rule: Rule, filter: LogFilter & { from: number; to: number }): GroupedQuery {
  return {
    filter,
    by: groupFields(rule),
    agg:
      rule.aggregation === "count" ? { fn: "count" } : { fn: rule.aggregation, attribute: rule.field ?? "" },
  };
}

/**
 * Every group of each aggregated rule at `now`, in one groupMany for all of them. Absence rules add the
 * groups they saw in their lookback before the window and not in it (count 0): the groups seen are
 * kept in alert_groups_seen from tick to tick, and read from the logs only when the rule has no
 * continuous record of them (new, edited, or its last window ended before this one starts).
 */
export async function groupOutcomes(
  deps: { store: LogStore; rules: AlertRuleRepo },
  rules: Rule[],
  now: number,
  filterOf: (rule: Rule) => LogFilter & { from: number; to: number },
  absent: (rule: Rule) => boolean,
): Promise<Map<number, GroupOutcome[]>> {
  const out = new Map<number, GroupOutcome[]>();
  if (!rules.length) return out;
  const absence = rules.filter(absent);
  const backfill = absence.filter((r) => {
    const until = r.groups_seen_until ? Date.parse(r.groups_seen_until) : null;
    return until === null || until < filterOf(r).from;
  });
  const lookback = (r: Rule) => {
    const from = filterOf(r).from;
    return { ...filterOf(r), from: from - r.absence_lookback_minutes * MINUTE, to: from - 1 };
  };
  const queries = [
    ...rules.map((r) => queryOf(r, filterOf(r))),
    ...backfill.map((r) => ({ ...queryOf(r, lookback(r)), agg: { fn: "count" as const } })),
  ];
  const [answers, stored] = await Promise.all([
    deps.store.groupMany(queries, MAX_GROUPS_PER_RULE),
    absence.length ? deps.rules.seenGroups(absence.map((r) => r.id)) : Promise.resolve([] as SeenGroup[]),
  ]);
  rules.forEach((r, i) => {
    out.set(
      r.id,
      (answers[i] ?? []).map((g) => ({ group: valuesOf(r, g), value: g.value, count: g.count })),
    );
  });

  const seenOf = new Map<number, Map<string, { group: GroupValues; last_seen: number }>>();
  const see = (rule: Rule, group: GroupValues, at: number) => {
    let m = seenOf.get(rule.id);
    if (!m) {
      m = new Map();
      seenOf.set(rule.id, m);
    }
    const k = groupKey(rule, group);
    const prev = m.get(k);
    if (!prev || prev.last_seen < at) m.set(k, { group, last_seen: at });
  };
  const byId = new Map(absence.map((r) => [r.id, r]));
  for (const s of stored) {
    const r = byId.get(s.rule_id);
    if (r) see(r, s.group, s.last_seen);
  }
  backfill.forEach((r, j) => {
    for (const g of answers[rules.length + j] ?? []) see(r, valuesOf(r, g)!, g.latest);
  });
  const records = absence.map((r) => {
    const from = filterOf(r).from;
    const present = new Set((out.get(r.id) ?? []).map((o) => groupKey(r, o.group)));
    const seen = seenOf.get(r.id) ?? new Map();
    for (const [k, s] of seen) {
      if (present.has(k) || s.last_seen < from - r.absence_lookback_minutes * MINUTE) continue;
      out.get(r.id)!.push({ group: s.group, value: 0, count: 0, silentSince: s.last_seen });
    }
    const inWindow = (answers[rules.indexOf(r)] ?? []).map((g) => ({
      group: valuesOf(r, g)!,
      last_seen: g.latest,
    }));
    return {
      id: r.id,
      until: now,
      keepFrom: from - r.absence_lookback_minutes * MINUTE,
      groups: [...inWindow, ...(backfill.includes(r) ? [...seen.values()] : [])],
    };
  });
  if (records.length) await deps.rules.recordSeenGroups(records);
  return out;
}
