import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { AppError } from "../../core/errors.ts";
import type { Field } from "../../core/query/ast.ts";
import { fieldsOf } from "../../core/query/fields.ts";
import {
  type Aggregation,
  aggregationKey,
  FIELDS_SAMPLE,
  type Fields,
  FieldsSchema,
  fieldNameOf,
  IntervalSchema,
  MAX_STATS_AGGS,
  MAX_STATS_BY,
  MAX_STATS_GROUPS,
  MAX_TIME_BUCKETS,
  parseAggregation,
  parseFieldName,
  type Stats,
  StatsSchema,
} from "../../core/query/schema.ts";
import type { AppEnv } from "../context.ts";
import { json, problems } from "../openapi/spec.ts";
import { intParam, lastParam, listParam } from "../validate.ts";
import { checkRange, rangeParams } from "./params.ts";

const HOUR = 3_600_000;

const byParam = listParam.transform((names, ctx) => {
  const out: Field[] = [];
  for (const name of names) {
    const field = parseFieldName(name);
    if (field === null) {
      ctx.addIssue({
        code: "custom",
        message: `${JSON.stringify(name.slice(0, 64))} is not a field (service, level, host, trace_id, correlation_id, request_id, span_id, or an attribute such as http.status)`,
      });
    } else out.push(field);
  }
  if (out.length > MAX_STATS_BY) ctx.addIssue({ code: "custom", message: `at most ${MAX_STATS_BY} fields` });
  return out;
});

const aggParam = listParam.transform((texts, ctx) => {
  const out: Aggregation[] = [];
  for (const text of texts) {
    const a = parseAggregation(text);
    if (typeof a === "string") ctx.addIssue({ code: "custom", message: a });
    else out.push(a);
  }
  if (out.length > MAX_STATS_AGGS) ctx.addIssue({ code: "custom", message: `at most ${MAX_STATS_AGGS}` });
  return out;
});

const StatsParamsSchema = z
  .object({
    ...rangeParams,
    by: byParam
      .optional()
      .describe(
        "Fields to group by, comma-separated or repeated (up to 3): service, level, host, an attribute…",
      ),
    agg: aggParam
      .optional()
      .describe(
        "What to compute per group and bucket, comma-separated or repeated (up to 10; default count): count, count_distinct(f), sum(f), avg(f), min(f), max(f), p50(f), p90(f), p95(f), p99(f). Numeric functions read an attribute's number (a number or a numeric string)",
      ),
    interval: lastParam(IntervalSchema)
      .optional()
      .describe("Time buckets from 1s to 1d (at most 1440 over the range); absent: one bucket for the range"),
    limit: intParam(1, MAX_STATS_GROUPS)
      .default(10)
      .describe(
        `Groups kept, largest first (1–${MAX_STATS_GROUPS}, default 10); the rest are summed as other`,
      ),
  })
  .superRefine(checkRange);

const FieldsParamsSchema = z
  .object({
    ...rangeParams,
    top: intParam(1, 50).default(5).describe("Values listed per field (1–50, default 5)"),
  })
  .superRefine(checkRange);

const stats = createRoute({
  method: "get",
  path: "/stats",
  summary:
    "Aggregations over any query: count by fields, time buckets, top-N, distinct counts, sums, percentiles",
  description: [
    "The events matching `query` in the range (`since`, or `start_time`/`end_time`; default the last hour) grouped by the `by` fields and, with `interval`, by time; `agg` computed for each.",
    "Groups are ranked by their count over the whole range; the first `limit` are listed and the rest summed into one with `other: true`. With `interval` every bucket holds every group, zeros included.",
    "Percentiles are exact on Postgres and PGlite (linear interpolation between the closest ranks); on OpenSearch/Elasticsearch they are the engine's t-digest estimate and count_distinct of a column its HyperLogLog++ estimate (exact below 40,000); count_distinct of an attribute is exact there up to 10,000 distinct values per group and interval (more is a 400).",
  ].join("\n\n"),
  request: { query: StatsParamsSchema },
  responses: {
    200: json(StatsSchema, "The groups and buckets", {
      start_time: "2026-11-29T09:00:00.000Z",
      end_time: "2026-11-29T10:00:00.000Z",
      interval: null,
      by: ["service"],
      aggs: ["count", "p95(latency_ms)"],
      total: 1520,
      buckets: [
        { group: { service: "checkout" }, values: { count: 1200, "p95(latency_ms)": 412.5 } },
        { group: { service: "auth" }, values: { count: 300, "p95(latency_ms)": 88 } },
        { group: {}, other: true, values: { count: 20, "p95(latency_ms)": null } },
      ],
    }),
    ...problems(),
  },
});

const fields = createRoute({
  method: "get",
  path: "/fields",
  summary: "The fields present in the matching events, with their top values and counts",
  description: `Read from the newest ${FIELDS_SAMPLE} events matching \`query\` in the range (default the last hour): \`sampled\` says when there were more. Each field's \`name\` is what to type before the colon in a query.`,
  request: { query: FieldsParamsSchema },
  responses: {
    200: json(FieldsSchema, "The fields, most common first", {
      start_time: "2026-11-29T09:00:00.000Z",
      end_time: "2026-11-29T10:00:00.000Z",
      total: 2,
      sampled: false,
      sample_size: 2,
      fields: [
        {
          name: "level",
          kind: "column",
          count: 2,
          distinct: 1,
          top: [{ value: "ERROR", count: 2 }],
        },
        {
          name: "service",
          kind: "column",
          count: 2,
          distinct: 1,
          top: [{ value: "checkout", count: 2 }],
        },
        {
          name: "http.status",
          kind: "attribute",
          count: 2,
          distinct: 2,
          top: [
            { value: "500", count: 1 },
            { value: "502", count: 1 },
          ],
        },
      ],
    }),
    ...problems(),
  },
});

/** The range asked for: `since` before now, or `start_time`/`end_time`, by default the last hour. */
function rangeOf(q: { since?: number; start_time?: number; end_time?: number }, now: number) {
  const to = q.end_time ?? now;
  const from = q.since !== undefined ? now - q.since : (q.start_time ?? to - HOUR);
  return { from, to };
}

/** GET /api/v1/logs/stats and /fields, on the logs router (before `/{id}`, which would match them too). */
export function registerStats(app: OpenAPIHono<AppEnv>): void {
  app.openapi(stats, async (c) => {
    const deps = c.get("deps");
    const q = c.req.valid("query");
    const { from, to } = rangeOf(q, deps.now?.() ?? Date.now());
    const intervalMs = q.interval?.ms;
    if (intervalMs !== undefined && to >= from) {
      const buckets = Math.floor(to / intervalMs) - Math.floor(from / intervalMs) + 1;
      if (buckets > MAX_TIME_BUCKETS) {
        throw new AppError(
          "BAD_REQUEST",
          `interval: ${buckets} buckets over the range (at most ${MAX_TIME_BUCKETS}); use a longer interval or a shorter range`,
          { errors: [{ field: "interval", message: `at most ${MAX_TIME_BUCKETS} buckets` }] },
        );
      }
    }
    const by = q.by ?? [];
    const aggs: Aggregation[] = q.agg?.length ? q.agg : [{ fn: "count" }];
    const text = q.query?.trim() || undefined;
    const result = await deps.store.aggregate(
      { from, to, ...(text ? { text } : {}) },
      { by, aggs, limit: q.limit, ...(intervalMs !== undefined ? { intervalMs } : {}) },
    );
    const byNames = by.map(fieldNameOf);
    const keys = aggs.map(aggregationKey);
    const body: Stats = {
      start_time: new Date(from).toISOString(),
      end_time: new Date(to).toISOString(),
      interval: q.interval?.text ?? null,
      by: byNames,
      aggs: keys,
      total: result.total,
      buckets: result.rows.map((r) => ({
        ...(r.start !== undefined ? { start: new Date(r.start).toISOString() } : {}),
        group: r.group === null ? {} : Object.fromEntries(byNames.map((n, i) => [n, r.group?.[i] ?? null])),
        ...(r.group === null ? { other: true } : {}),
        values: Object.fromEntries(keys.map((k, j) => [k, r.values[j] ?? null])),
      })),
    };
    return c.json(body, 200);
  });

  app.openapi(fields, async (c) => {
    const deps = c.get("deps");
    const q = c.req.valid("query");
    const { from, to } = rangeOf(q, deps.now?.() ?? Date.now());
    const text = q.query?.trim() || undefined;
    const page = await deps.store.search({ from, to, ...(text ? { text } : {}), limit: FIELDS_SAMPLE });
    const body: Fields = {
      start_time: new Date(from).toISOString(),
      end_time: new Date(to).toISOString(),
      total: page.total,
      sampled: page.total > page.logs.length,
      sample_size: page.logs.length,
      fields: fieldsOf(page.logs, q.top),
    };
    return c.json(body, 200);
  });
}
