import { type AlertRule, CONDITIONS } from "../../data/alerts.ts";
import { href } from "../../router.ts";

export const conditionLabel = (c: string | null) => CONDITIONS.find((x) => x.value === c)?.label ?? c ?? "";

/** Explore filtered as a rule counts: its services, levels and query. */
export function logsOfRule(
  rule: Pick<AlertRule, "services" | "levels" | "query">,
  from?: string,
  to?: string,
) {
  return href("/explore", {
    service: rule.services.join(","),
    level: rule.levels.join(","),
    q: rule.query ?? undefined,
    range: from ? "custom" : "1h",
    from,
    to,
  });
}
