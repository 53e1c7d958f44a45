import type { PatternList, PatternSummary } from "../../../core/patterns/schema.ts";
import { api } from "./api.ts";
import { type LogQuery, searchParams } from "./logs.ts";

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
  // The same filter parameters as the search, so the patterns are those of the lines listed.
  return api<PatternList>(`/api/v1/logs/patterns?${searchParams(q, w, { limit: 100 })}`, { signal });
}
