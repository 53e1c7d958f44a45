/**
 * What the API answers about log patterns (GET /api/v1/logs/patterns), and a stored template as the
 * `patterns` table keeps it. The miner's own state is MinerSnapshotSchema (snapshot.ts).
 */
import { z } from "zod";
import { LogEventSchema } from "../log-event.ts";

/** A template as stored: one row per id ever handed out. */
export interface PatternRecord {
  id: string;
  service: string;
  /** Masked tokens joined by spaces, variables as `<*>` (mask.ts). */
  template: string;
  /** Epoch ms of the earliest and latest event timestamps assigned to it. */
  firstSeen: number;
  lastSeen: number;
  /** Events assigned to it, by every indexer (a replayed batch counts again). */
  count: number;
  /** The template it was merged into (reconciliation or a sibling merge), or null. */
  mergedInto: string | null;
}

export const PatternSummarySchema = z
  .object({
    id: z.string().describe("Filter on it with `pattern:<id>` in the query language"),
    service: z.string(),
    template: z.string().describe("The message with its variables as <*>"),
    count: z.number().int().describe("Matching events of this pattern in the range"),
    share: z.number().describe("count / all matching events, 0–1"),
    first_seen: z.string().nullable().describe("First event of the pattern ever stored (ISO-8601)"),
    last_seen: z.string().nullable().describe("Latest event of the pattern stored (ISO-8601)"),
    new: z.boolean().describe("first seen inside the range"),
    sample: LogEventSchema.nullable().describe("The newest matching event of the pattern"),
    sparkline: z.array(z.number().int()).describe("Counts per interval, oldest first (see `buckets`)"),
  })
  .meta({ id: "PatternSummary" });
export type PatternSummary = z.infer<typeof PatternSummarySchema>;

export const PatternListSchema = z.object({
  from: z.string(),
  to: z.string(),
  interval_ms: z.number().int().describe("The width of each sparkline bucket"),
  buckets: z.array(z.string()).describe("Each sparkline bucket's start (ISO-8601)"),
  total: z.number().int().describe("Matching events in the range, with or without a pattern"),
  without_pattern: z
    .number()
    .int()
    .describe("Matching events stored before patterns were mined (no pattern id)"),
  patterns: z.array(PatternSummarySchema).describe("Largest count first"),
});
export type PatternList = z.infer<typeof PatternListSchema>;
