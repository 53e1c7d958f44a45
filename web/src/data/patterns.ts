import type { PatternList, PatternSummary } from "../../../core/patterns/schema.ts";
import { api } from "./api.ts";
import type { LogQuery } from "./logs.ts";

export type { PatternList, PatternSummary };

/** The query-language filter on one pattern (what clicking a pattern puts in the search box). */
export function patternFilter(id: string): string {
  return `pattern:${id}`;
}

/** A template split into its literal text and its variables (`<*>`), in order. */
export function templateParts(template: string): { text: string; variable: boolean }[] {
  return template
    .split(/(<\*>)/)
    .filter((t) => t !== "")
    .map((text) => ({ text, variable: text === "<*>" }));
}

/** GET /api/v1/logs/patterns for Explore's filters over its window. */
export function fetchPatterns(
  q: LogQuery,
  w: { from?: number; to?: number },
  signal?: AbortSignal,
): Promise<PatternList> {
  const p = new URLSearchParams();
  if (q.q.trim()) p.set("query", q.q.trim());
  for (const s of q.services) p.append("service", s);
  if (q.levels.length) p.set("level", q.levels.join(","));
  if (w.from !== undefined) p.set("start_time", new Date(w.from).toISOString());
  if (w.to !== undefined) p.set("end_time", new Date(w.to).toISOString());
  p.set("limit", "100");
  return api<PatternList>(`/api/v1/logs/patterns?${p}`, { signal });
}
