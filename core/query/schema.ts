/**
 * What the API takes and answers for queries and aggregations over them: the `query` parameter, time
 * intervals, `agg` and `by` of GET /api/v1/logs/stats, and the shapes of /stats and /fields.
 */
import { z } from "zod";
import {
  ATTRIBUTES_PREFIX,
  attributeKeyOf,
  COLUMN_FIELDS,
  type ColumnField,
  type Field,
  MAX_QUERY_CHARS,
} from "./ast.ts";

/** The `query` parameter of every log read (search, recent, context, timeseries, stats, fields, tail). */
export const QueryTextSchema = z
  .string()
  .max(MAX_QUERY_CHARS, `at most ${MAX_QUERY_CHARS} characters`)
  .describe(
    'The query language (README: Query language): words, `"phrases"`, `or`, `-word`, and `field:value` terms such as `service:checkout level:error http.status:502 latency_ms:>250 user_id:*`, combined with AND/OR/NOT and parentheses. Blank or absent: every event. A query that cannot be parsed is a 400 naming the position and what was expected',
  );

const INTERVAL_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
export const MIN_INTERVAL_MS = 1000;
export const MAX_INTERVAL_MS = 86_400_000;

/** "90s" → 90000: a whole number of s, m, h or d from 1s to 1d; null for anything else. */
export function parseInterval(text: string): number | null {
  const m = /^(\d{1,5})([smhd])$/.exec(text.trim());
  if (!m) return null;
  const ms = Number(m[1]) * (INTERVAL_UNITS[m[2] as string] as number);
  return ms >= MIN_INTERVAL_MS && ms <= MAX_INTERVAL_MS ? ms : null;
}

/** An interval parameter: the text as given and its length in ms. */
export const IntervalSchema = z
  .string()
  .transform((v, ctx) => {
    const ms = parseInterval(v);
    if (ms === null) {
      ctx.addIssue({
        code: "custom",
        message: "must be an interval from 1s to 1d, such as 10s, 1m, 5m, 1h or 1d",
      });
      return z.NEVER;
    }
    return { text: v.trim(), ms };
  })
  .describe("Bucket length: a whole number of s, m, h or d, from 1s to 1d (10s, 1m, 5m, 1h, 1d)");

/** Most time buckets one answer may hold (interval × range). */
export const MAX_TIME_BUCKETS = 1440;

const FIELD_NAME = /^[\p{L}_@][\p{L}\p{M}\p{N}_.@/-]{0,139}$/u;

/** A field by the name the query language uses for it (`service`, `http.status`, `attributes.service`). */
export function parseFieldName(name: string): Field | null {
  if (!FIELD_NAME.test(name) || name === "message") return null;
  if ((COLUMN_FIELDS as readonly string[]).includes(name))
    return { kind: "column", name: name as ColumnField };
  const key = attributeKeyOf(name);
  return key.length <= 128 ? { kind: "attribute", name: key } : null;
}

/** The name to type for a field in a query: columns by name, attributes by theirs (prefixed when shadowed). */
export function fieldNameOf(field: Field): string {
  if (field.kind === "column") return field.name;
  const shadowed =
    field.name === "message" ||
    (COLUMN_FIELDS as readonly string[]).includes(field.name) ||
    field.name.startsWith(ATTRIBUTES_PREFIX);
  return shadowed ? `${ATTRIBUTES_PREFIX}${field.name}` : field.name;
}

export const NUMERIC_FUNCTIONS = ["sum", "avg", "min", "max", "p50", "p90", "p95", "p99"] as const;
export type NumericFunction = (typeof NUMERIC_FUNCTIONS)[number];

/**
 * One value computed per bucket and group. Numeric functions read an attribute's number (a number, or
 * a numeric string, as ranges do) and skip events without one; `count_distinct` counts the distinct
 * values (as text) of any field.
 */
export type Aggregation =
  | { fn: "count" }
  | { fn: "count_distinct"; field: Field }
  | { fn: NumericFunction; attribute: string };

/** The percentile a p-function asks for (0.95 for p95), or null for another function. */
export function percentileOf(fn: Aggregation["fn"]): number | null {
  const m = /^p(\d\d)$/.exec(fn);
  return m ? Number(m[1]) / 100 : null;
}

/** `count`, `count_distinct(host)`, `p95(latency_ms)`…: the aggregation, or an error message. */
export function parseAggregation(text: string): Aggregation | string {
  const t = text.trim();
  if (t === "count") return { fn: "count" };
  const m = /^([a-z_0-9]+)\((.*)\)$/.exec(t);
  const fn = m?.[1];
  const field = m ? parseFieldName((m[2] as string).trim()) : null;
  if (!m || (fn !== "count_distinct" && !(NUMERIC_FUNCTIONS as readonly string[]).includes(fn as string))) {
    return `unknown aggregation ${JSON.stringify(t.slice(0, 64))} (use count, count_distinct(f), ${NUMERIC_FUNCTIONS.map((f) => `${f}(f)`).join(", ")})`;
  }
  if (field === null) return `${fn}: ${JSON.stringify((m[2] as string).slice(0, 64))} is not a field name`;
  if (fn === "count_distinct") return { fn, field };
  if (field.kind === "column") {
    return `${fn}(${field.name}): ${field.name} is text; numeric aggregations read an attribute (a number or a numeric string)`;
  }
  return { fn: fn as NumericFunction, attribute: field.name };
}

/** The key of an aggregation in `values`: as written, normalized (`p95(latency_ms)`). */
export function aggregationKey(a: Aggregation): string {
  if (a.fn === "count") return "count";
  if (a.fn === "count_distinct") return `count_distinct(${fieldNameOf(a.field)})`;
  return `${a.fn}(${fieldNameOf({ kind: "attribute", name: a.attribute })})`;
}

/** Most `by` fields, `agg` functions and groups in one stats request. */
export const MAX_STATS_BY = 3;
export const MAX_STATS_AGGS = 10;
export const MAX_STATS_GROUPS = 100;

/** GET /api/v1/logs/stats. */
export const StatsSchema = z.object({
  start_time: z.string().describe("start of the range, inclusive"),
  end_time: z.string().describe("end of the range, inclusive"),
  interval: z.string().nullable().describe("the bucket length asked for; null: one bucket for the range"),
  by: z.array(z.string()).describe("the fields grouped by, as asked"),
  aggs: z.array(z.string()).describe("the keys of `values`, in the order asked"),
  total: z.number().int().describe("events matching the query in the range"),
  buckets: z
    .array(
      z.object({
        start: z
          .string()
          .optional()
          .describe("the bucket's start (with `interval`): multiples of the interval since the epoch"),
        group: z
          .record(z.string(), z.string().nullable())
          .describe("each `by` field's value as text (numbers as written: 500); null: the event has none"),
        other: z
          .boolean()
          .optional()
          .describe("true for the groups beyond `limit`, taken together (then `group` is {})"),
        values: z
          .record(z.string(), z.number().nullable())
          .describe(
            "each aggregation: count and count_distinct are 0 for no events; sum, avg, min, max and pNN are null when no event has a number there",
          ),
      }),
    )
    .describe(
      "with `interval`: every bucket from the range's start, oldest first, and in each every group (zeros present), largest group first; without: one entry per group, largest first. Groups beyond `limit` are summed into one with `other: true`",
    ),
});
export type Stats = z.infer<typeof StatsSchema>;

/** Events /fields reads at most: the newest that match. */
export const FIELDS_SAMPLE = 1000;

/** GET /api/v1/logs/fields. */
export const FieldsSchema = z.object({
  start_time: z.string(),
  end_time: z.string(),
  total: z.number().int().describe("events matching the query in the range"),
  sampled: z.boolean().describe(`whether only the newest ${FIELDS_SAMPLE} of them were read`),
  sample_size: z.number().int().describe("events the fields and counts below come from"),
  fields: z
    .array(
      z.object({
        name: z.string().describe("the name to use in a query: `host`, `http.status`, `attributes.service`"),
        kind: z.enum(["column", "attribute"]),
        count: z.number().int().describe("events of the sample that have the field"),
        distinct: z.number().int().describe("distinct values in the sample"),
        top: z
          .array(z.object({ value: z.string(), count: z.number().int() }))
          .describe("most frequent values (as text) in the sample, largest first"),
      }),
    )
    .describe("the fields present in the sample, most common first (service and level always)"),
});
export type Fields = z.infer<typeof FieldsSchema>;
