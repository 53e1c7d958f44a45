import { AppError } from "../../errors.ts";
import {
  type GroupedQuery,
  type GroupedValue,
  histogramSpan,
  type LogFilter,
} from "../../ports/log-store.ts";
import { type AggregateResult, type AggregateSpec, gridRows, topGroups } from "../../query/aggregate.ts";
import type { Field } from "../../query/ast.ts";
import type { Aggregation } from "../../query/schema.ts";
import { fieldNameOf, percentileOf } from "../../query/schema.ts";
import { NUMERIC_ATTRIBUTES_FIELD } from "../../query/search-engine.ts";
import { filterQuery } from "./query.ts";

type Clause = Record<string, unknown>;
type Body = Record<string, unknown>;
interface Answer {
  hits: { total?: { value: number } | number };
  aggregations?: Record<string, unknown>;
}
interface Bucketed {
  doc_count: number;
  [agg: string]: unknown;
}

/** Composite pages read to rank groups (1,000 groups each): beyond, the ranking covers the first ones. */
const GROUP_PAGES = 20;

/**
 * LogStore.aggregate on OpenSearch/Elasticsearch (semantics: core/query/aggregate.ts): groups ranked
 * exactly from a composite aggregation, then one search whose `filters` aggregation holds the kept
 * groups and `other`, each bucketed by a date_histogram, with the engine's metric aggregations:
 * percentiles are the engine's t-digest and distinct counts its HyperLogLog++ (exact below 40,000),
 * both approximate. Numeric functions read the nested (key, value) pairs of numeric attributes.
 *
 * `by` and count_distinct take columns here (service, level, host, trace_id, …): OpenSearch's
 * flat_object cannot aggregate a subfield (2.19 answers `java.lang.Object@…` keys), so grouping by an
 * attribute is refused with a 400 that says so.
 */
export async function searchAggregate(
  search: (body: Body) => Promise<Answer>,
  filter: LogFilter & { from: number; to: number },
  spec: AggregateSpec,
  maxBuckets: number,
): Promise<AggregateResult> {
  for (const f of [...spec.by, ...spec.aggs.flatMap((a) => (a.fn === "count_distinct" ? [a.field] : []))]) {
    if (f.kind === "attribute") {
      throw new AppError(
        "BAD_REQUEST",
        `${fieldNameOf(f)}: on the OpenSearch/Elasticsearch store, by and count_distinct take service, level, host, trace_id, correlation_id, request_id or span_id (attributes are grouped on the Postgres store)`,
        {
          errors: [
            { field: spec.by.includes(f) ? "by" : "agg", message: "an attribute cannot be grouped here" },
          ],
        },
      );
    }
  }
  const span = spec.intervalMs === undefined ? null : histogramSpan(filter, spec.intervalMs, maxBuckets);
  if (spec.intervalMs !== undefined && span === null) return { total: 0, rows: [] };
  const query = filterQuery(filter);
  const limit = Math.max(1, Math.trunc(spec.limit));

  let kept: (string | null)[][] = [[]];
  let other = false;
  if (spec.by.length > 0) {
    const groups = await rankedGroups(search, query, spec.by);
    ({ other } = topGroups(groups, limit));
    kept = topGroups(groups, limit).kept.map((g) => g.group);
    if (kept.length === 0) return { total: 0, rows: [] };
  }

  const metrics: Record<string, unknown> = {};
  spec.aggs.forEach((a, j) => {
    const m = metricAgg(a);
    if (m) metrics[`v${j}`] = m;
  });
  const inner: Record<string, unknown> =
    spec.intervalMs === undefined
      ? metrics
      : {
          t: {
            date_histogram: { field: "timestamp", fixed_interval: `${spec.intervalMs}ms`, min_doc_count: 1 },
            aggs: metrics,
          },
        };
  const aggs: Record<string, unknown> =
    spec.by.length === 0
      ? inner
      : {
          g: {
            filters: {
              filters: Object.fromEntries(kept.map((values, k) => [String(k), groupClause(spec.by, values)])),
              ...(other ? { other_bucket_key: "other" } : {}),
            },
            aggs: inner,
          },
        };
  const res = await search({ size: 0, track_total_hits: true, query, aggs });
  const total = typeof res.hits.total === "number" ? res.hits.total : (res.hits.total?.value ?? 0);

  // Cells by (bucket start, group index; -1 is other).
  const cells = new Map<string, (number | null)[]>();
  const fill = (index: number, holder: Bucketed) => {
    if (spec.intervalMs === undefined) {
      cells.set(`0:${index}`, values(spec.aggs, holder));
      return;
    }
    for (const b of (holder.t as { buckets: (Bucketed & { key: number })[] }).buckets) {
      cells.set(`${b.key}:${index}`, values(spec.aggs, b));
    }
  };
  if (spec.by.length === 0) fill(0, { ...(res.aggregations ?? {}), doc_count: total });
  else {
    const g = res.aggregations?.g as { buckets: Record<string, Bucketed> } | undefined;
    const buckets = g?.buckets ?? {};
    for (const [name, b] of Object.entries(buckets)) fill(name === "other" ? -1 : Number(name), b);
  }

  return { total, rows: gridRows(spec, kept, other, span, cells) };
}

/** Every group's count, from composite pages (missing values as null). */
async function rankedGroups(
  search: (body: Body) => Promise<Answer>,
  query: Clause,
  by: Field[],
): Promise<{ group: (string | null)[]; count: number }[]> {
  const sources = by.map((f, i) => ({ [`g${i}`]: { terms: { field: f.name, missing_bucket: true } } }));
  const out: { group: (string | null)[]; count: number }[] = [];
  let after: unknown;
  for (let page = 0; page < GROUP_PAGES; page++) {
    const res = await search({
      size: 0,
      track_total_hits: false,
      query,
      aggs: { c: { composite: { size: 1000, sources, ...(after ? { after } : {}) } } },
    });
    const c = res.aggregations?.c as {
      after_key?: unknown;
      buckets: { key: Record<string, string | null>; doc_count: number }[];
    };
    for (const b of c.buckets) {
      out.push({ group: by.map((_, i) => b.key[`g${i}`] ?? null), count: b.doc_count });
    }
    if (c.buckets.length < 1000 || !c.after_key) break;
    after = c.after_key;
  }
  return out;
}

function groupClause(by: Field[], values: (string | null)[]): Clause {
  const filter = by.map((f, i) => {
    const v = values[i] ?? null;
    return v === null ? { bool: { must_not: [{ exists: { field: f.name } }] } } : { term: { [f.name]: v } };
  });
  return { bool: { filter } };
}

function metricAgg(a: Aggregation): Clause | null {
  if (a.fn === "count") return null;
  if (a.fn === "count_distinct") return { cardinality: { field: a.field.name, precision_threshold: 40_000 } };
  const p = percentileOf(a.fn);
  const value = `${NUMERIC_ATTRIBUTES_FIELD}.value`;
  const metric =
    p === null ? { [a.fn]: { field: value } } : { percentiles: { field: value, percents: [p * 100] } };
  return {
    nested: { path: NUMERIC_ATTRIBUTES_FIELD },
    aggs: {
      k: {
        filter: { term: { [`${NUMERIC_ATTRIBUTES_FIELD}.key`]: a.attribute } },
        aggs: { x: metric },
      },
    },
  };
}

function values(aggs: Aggregation[], holder: Bucketed): (number | null)[] {
  return aggs.map((a, j) => {
    if (a.fn === "count") return holder.doc_count;
    const m = holder[`v${j}`] as Record<string, unknown> | undefined;
    if (a.fn === "count_distinct") return Number((m as { value?: number } | undefined)?.value ?? 0);
    const k = m?.k as {
      doc_count: number;
      x: { value?: number | null; values?: Record<string, number | null> };
    };
    if (!k || k.doc_count === 0) return null;
    if (k.x.values) return Object.values(k.x.values)[0] ?? null;
    return k.x.value ?? null;
  });
}

/**
 * One groupMany query as a search body: a composite aggregation over the `by` columns (missing values as
 * null) holding the metric and the newest timestamp, one page of `maxGroups` groups in value order; or,
 * without `by`, the metric over every match. Attributes cannot be grouped (see searchAggregate).
 */
export function groupedBody(query: GroupedQuery, maxGroups: number, timeoutMs: number): Body {
  const attribute = query.by.find((f) => f.kind === "attribute");
  if (attribute) {
    throw new AppError(
      "BAD_REQUEST",
      `${fieldNameOf(attribute)}: the OpenSearch/Elasticsearch store groups by columns only (service, level, host, trace_id, …)`,
    );
  }
  const metrics: Record<string, unknown> = { latest: { max: { field: "timestamp" } } };
  const m = metricAgg(query.agg);
  if (m) metrics.v0 = m;
  const base = {
    size: 0,
    track_total_hits: true,
    timeout: `${timeoutMs}ms`,
    query: filterQuery(query.filter),
  };
  if (query.by.length === 0) return { ...base, aggs: metrics };
  const sources = query.by.map((f, i) => ({ [`g${i}`]: { terms: { field: f.name, missing_bucket: true } } }));
  return {
    ...base,
    track_total_hits: false,
    aggs: { c: { composite: { size: Math.max(1, Math.trunc(maxGroups)), sources }, aggs: metrics } },
  };
}

/** The groups of a groupMany query from its answer (see groupedBody). */
export function groupedValues(query: GroupedQuery, res: Answer): GroupedValue[] {
  const one = (group: (string | null)[], holder: Bucketed): GroupedValue => {
    const value = values([query.agg], holder)[0] ?? null;
    const latest = (holder.latest as { value?: number | null } | undefined)?.value ?? null;
    return { group, count: holder.doc_count, value, latest: latest ?? 0 };
  };
  if (query.by.length === 0) {
    const total = typeof res.hits.total === "number" ? res.hits.total : (res.hits.total?.value ?? 0);
    return [one([], { ...(res.aggregations ?? {}), doc_count: total })];
  }
  const c = res.aggregations?.c as
    | { buckets: (Bucketed & { key: Record<string, string | number | null> })[] }
    | undefined;
  return (c?.buckets ?? []).map((b) =>
    one(
      query.by.map((_, i) => {
        const v = b.key[`g${i}`];
        return v === null || v === undefined ? null : String(v);
      }),
      b,
    ),
  );
}
