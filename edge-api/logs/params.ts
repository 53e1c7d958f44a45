import { z } from "zod";
import { type Level, normalizeLevel, unknownLevel } from "../../core/level.ts";
import { parseTimestamp } from "../../core/log-event.ts";
import { QueryTextSchema } from "../../core/query/schema.ts";
import { lastParam, listParam } from "../validate.ts";

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "15m" → 900000. Accepts any whole number of s/m/h/d/w (the seed's 15m|1h|6h|24h|7d among them). */
export function parseDuration(text: string): number | null {
  const m = /^(\d{1,6})([smhdw])$/.exec(text.trim());
  return m ? Number(m[1]) * UNITS[m[2]!]! : null;
}

export const levels = listParam.transform((values, ctx) => {
  const out: Level[] = [];
  for (const v of values) {
    const level = normalizeLevel(v);
    if (!level) ctx.addIssue({ code: "custom", message: unknownLevel(v) });
    else if (!out.includes(level)) out.push(level);
  }
  return out;
});

const instant = z.string().transform((v, ctx) => {
  const ms = parseTimestamp(v);
  if (ms === null) {
    ctx.addIssue({ code: "custom", message: "must be ISO-8601 or epoch s/ms" });
    return z.NEVER;
  }
  return ms;
});

/** A duration parameter (`15m`, `1h`, …) as ms; refused with the examples given when it is none. */
export function durationParam(examples: string) {
  return lastParam(z.string()).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === null) {
      ctx.addIssue({ code: "custom", message: `must be a duration such as ${examples}` });
      return z.NEVER;
    }
    return ms;
  });
}

/** The query and the time range every log read takes: `since`, or `start_time`/`end_time`. */
export const rangeParams = {
  // Long enough to paste a whole log line (LogHub HDFS lines reach ~2,400 characters).
  query: lastParam(QueryTextSchema).optional(),
  start_time: lastParam(instant).optional(),
  end_time: lastParam(instant).optional(),
  since: durationParam("15m, 1h, 6h, 24h or 7d").optional(),
};

/** The range's checks: `since` or `start_time`, and an end not before the start. */
export function checkRange(
  q: { since?: number | undefined; start_time?: number | undefined; end_time?: number | undefined },
  ctx: z.RefinementCtx,
): void {
  if (q.since !== undefined && q.start_time !== undefined) {
    ctx.addIssue({ code: "custom", path: ["since"], message: "use either since or start_time, not both" });
  }
  if (q.start_time !== undefined && q.end_time !== undefined && q.end_time < q.start_time) {
    ctx.addIssue({ code: "custom", path: ["end_time"], message: "must not be before start_time" });
  }
}
