import { type AlertRule, CONDITIONS } from "../../data/alerts.ts";
import { fieldTerm } from "../../data/stats.ts";
import { href } from "../../router.ts";

export const conditionLabel = (c: string | null) => CONDITIONS.find((x) => x.value === c)?.label ?? c ?? "";

/**
 * The rule's query narrowed to one group of a grouped rule: `field:value` for each of the group's
 * fields, `-field:*` where the group's events had none.
 */
export function queryOfGroup(query: string | null, group: Record<string, string | null> | null) {
  const terms = Object.entries(group ?? {}).map(([k, v]) => (v === null ? `-${k}:*` : fieldTerm(k, v)));
  const text = query?.trim();
  if (!terms.length) return text || undefined;
  return [...(text ? [`(${text})`] : []), ...terms].join(" ");
}

/** Explore filtered as a rule counts: its services, levels and query (and a grouped alert's group). */
export function logsOfRule(
  rule: Pick<AlertRule, "services" | "levels" | "query">,
  from?: string,
  to?: string,
  group?: Record<string, string | null> | null,
) {
  return href("/explore", {
    service: rule.services.join(","),
    level: rule.levels.join(","),
    q: queryOfGroup(rule.query, group ?? null),
    range: from ? "custom" : "1h",
    from,
    to,
  });
}
