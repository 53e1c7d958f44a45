import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { AppError } from "../../core/errors.ts";
import type { LogEvent } from "../../core/log-event.ts";
import {
  type PatternList,
  PatternListSchema,
  type PatternRecord,
  type PatternSummary,
} from "../../core/patterns/schema.ts";
import type { LogFilter, LogStore, PatternCount } from "../../core/ports/log-store.ts";
import type { PatternRepo } from "../../core/ports/patterns.ts";
import type { AppEnv } from "../context.ts";
import { json, problems } from "../openapi/spec.ts";
import { intParam, listParam } from "../validate.ts";
import { checkRange, durationParam, levels, rangeParams } from "./params.ts";

const PatternParamsSchema = z
  .object({
    ...rangeParams,
    service: listParam.optional(),
    level: levels.optional(),
    interval: durationParam("1m, 5m or 1h")
      .optional()
      .describe("Sparkline bucket width; default about 30 buckets over the range"),
    limit: intParam(1, 500).default(50).describe("Most patterns listed, largest first (1–500, default 50)"),
  })
  .superRefine(checkRange);

/** Most sparkline buckets one answer has (a longer range with a small interval is a 400). */
const MAX_BUCKETS = 500;
const STEPS = [
  10_000, 30_000, 60_000, 300_000, 900_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000, 43_200_000,
  86_400_000,
];

/** The smallest round interval that splits the span into at most ~30 buckets. */
export function sparklineInterval(spanMs: number): number {
  return STEPS.find((s) => spanMs / s <= 30) ?? 604_800_000;
}

const patterns = createRoute({
  method: "get",
  path: "/patterns",
  summary:
    "The patterns of the matching events: template, count, share, first/last seen, a sample, a sparkline",
  description:
    "Groups the events of the range by the template their message belongs to (every stored event carries its `pattern` id). " +
    "`new` marks templates first seen inside the range. Events stored before patterns were mined are counted in `without_pattern`.",
  request: { query: PatternParamsSchema },
  responses: { 200: json(PatternListSchema, "Patterns, largest first"), ...problems() },
});

/** GET /api/v1/logs/patterns. */
export function registerPatterns(app: OpenAPIHono<AppEnv>): void {
  app.openapi(patterns, async (c) => {
    const deps = c.get("deps");
    const q = c.req.valid("query");
    const now = deps.now?.() ?? Date.now();
    const to = q.end_time ?? now;
    const from = q.start_time ?? to - (q.since ?? 3_600_000);
    const intervalMs = q.interval ?? sparklineInterval(to - from);
    if ((to - from) / intervalMs > MAX_BUCKETS) {
      throw new AppError(
        "BAD_REQUEST",
        `interval: at most ${MAX_BUCKETS} buckets over the range; use a wider interval`,
        { errors: [{ field: "interval", message: "too small for the range" }] },
      );
    }
    const filter: LogFilter & { from: number; to: number } = {
      text: q.query?.trim() || undefined,
      services: q.service?.length ? q.service : undefined,
      levels: q.level?.length ? q.level : undefined,
      from,
      to,
    };
    return c.json(await listPatterns(deps.store, deps.patternRepo, filter, intervalMs, q.limit), 200);
  });
}

/**
 * The patterns of a filter's events (GET /api/v1/logs/patterns, and the overview's top errors): the
 * store's counts per stored id, grouped by the template each id stands for now, with its row.
 */
export async function listPatterns(
  store: LogStore,
  repo: PatternRepo | undefined,
  filter: LogFilter & { from: number; to: number },
  intervalMs: number,
  limit: number,
): Promise<PatternList> {
  const { from, to } = filter;
  // Twice the limit: ids merged into one another are listed as one.
  const counts = await store.patternCounts(filter, intervalMs, limit * 2);
  const first = Math.floor(from / intervalMs) * intervalMs;
  const buckets =
    counts.patterns[0]?.buckets.length ?? Math.max(0, Math.floor((to - first) / intervalMs) + 1);
  const records = await templates(
    repo,
    counts.patterns.map((p) => p.id),
  );
  const summaries = summarise(counts.patterns, records, counts.total, from, to)
    .sort((a, b) => b.count - a.count || (a.id < b.id ? -1 : 1))
    .slice(0, limit);
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    interval_ms: intervalMs,
    buckets: Array.from({ length: buckets }, (_, i) => new Date(first + i * intervalMs).toISOString()),
    total: counts.total,
    without_pattern: counts.withoutPattern,
    patterns: summaries,
  };
}

/** The rows of these ids and of every id they were merged into, by id. */
async function templates(repo: PatternRepo | undefined, ids: string[]): Promise<Map<string, PatternRecord>> {
  const out = new Map<string, PatternRecord>();
  if (!repo) return out;
  let want = ids;
  for (let hops = 0; want.length > 0 && hops < 8; hops++) {
    for (const r of await repo.get(want)) out.set(r.id, r);
    want = [
      ...new Set(
        [...out.values()].flatMap((r) => (r.mergedInto && !out.has(r.mergedInto) ? [r.mergedInto] : [])),
      ),
    ];
  }
  return out;
}

/** Stored ids grouped by the template they stand for now, with its row's text and times. */
function summarise(
  counted: PatternCount[],
  records: Map<string, PatternRecord>,
  total: number,
  from: number,
  to: number,
): PatternSummary[] {
  const resolve = (id: string) => {
    let cur = id;
    for (let hops = 0; hops < 8; hops++) {
      const next = records.get(cur)?.mergedInto;
      if (!next) break;
      cur = next;
    }
    return cur;
  };
  const groups = new Map<
    string,
    { ids: string[]; count: number; buckets: number[]; sample: LogEvent | null }
  >();
  for (const p of counted) {
    const id = resolve(p.id);
    const g = groups.get(id);
    if (!g) groups.set(id, { ids: [p.id], count: p.count, buckets: [...p.buckets], sample: p.sample });
    else {
      g.ids.push(p.id);
      g.count += p.count;
      p.buckets.forEach((n, i) => {
        g.buckets[i] = (g.buckets[i] ?? 0) + n;
      });
      if (p.sample && (!g.sample || p.sample.timestamp > g.sample.timestamp)) g.sample = p.sample;
    }
  }
  return [...groups].map(([id, g]) => {
    const rows = [id, ...g.ids].flatMap((i) => records.get(i) ?? []);
    const firstSeen = rows.length ? Math.min(...rows.map((r) => r.firstSeen)) : null;
    const lastSeen = rows.length ? Math.max(...rows.map((r) => r.lastSeen)) : null;
    return {
      id,
      service: records.get(id)?.service ?? g.sample?.service ?? "",
      // Without a row (no database to keep templates in): the sample's message stands for it.
      template: records.get(id)?.template ?? rows[0]?.template ?? g.sample?.message ?? "",
      count: g.count,
      share: total > 0 ? g.count / total : 0,
      first_seen: firstSeen === null ? null : new Date(firstSeen).toISOString(),
      last_seen: lastSeen === null ? null : new Date(lastSeen).toISOString(),
      new: firstSeen !== null && firstSeen >= from && firstSeen <= to,
      sample: g.sample,
      sparkline: g.buckets,
    };
  });
}
