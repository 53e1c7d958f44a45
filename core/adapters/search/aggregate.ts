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
import {
  KEYWORD_ATTRIBUTES_FIELD,
  keywordPairPrefix,
  literalRegex,
  NUMERIC_ATTRIBUTES_FIELD,
} from "../../query/search-engine.ts";
import { rethrowTooManyBuckets } from "./backend.ts";
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
/** Groups ranked when `by` has an attribute: the k-th root of it per field (20,000; 141 × 141; 27³). */
const TREE_GROUPS = GROUP_PAGES * 1000;
/** Distinct values of an attribute counted exactly in one cell (group × interval) by default. */
export const MAX_DISTINCT_VALUES = 10_000;

/**
 * LogStore.aggregate on OpenSearch/Elasticsearch (semantics: core/query/aggregate.ts): groups ranked
 * exactly from a composite aggregation, then one search whose `filters` aggregation holds the kept
 * groups and `other`, each bucketed by a date_histogram, with the engine's metric aggregations:
 * percentiles are the engine's t-digest and distinct counts its HyperLogLog++ (exact below 40,000),
 * both approximate. Numeric functions read the nested (key, value) pairs of numeric attributes.
 *
 * `by` takes columns and attributes. Columns only: the groups are ranked from composite pages, exact up
 * to 20,000 groups. With an attribute (read from the `key\u0000value` keywords, KEYWORD_ATTRIBUTES_FIELD:
 * OpenSearch's flat_object cannot be aggregated): from nested terms aggregations, one level per field,
 * each with a sibling for the events without a value; exact while every field has at most 20,000 (one
 * field), 141 (two) or 27 (three) values within its parent group, else the ranking covers the most
 * frequent ones (the rest is still counted, in `other`).
 *
 * count_distinct of an attribute is exact, unlike a column's (HyperLogLog++): a cardinality over one
 * key's pairs would need a script (none on OpenSearch's default node), so each cell holds a terms
 * aggregation over that key's pairs and the count is how many buckets it answers. Up to
 * MAX_DISTINCT_VALUES per cell; beyond (or past the engine's `search.max_buckets` over the whole answer,
 * 65,535 by default), a 400 that says so rather than a floor passed off as the count. Values longer than
 * KEYWORD_PAIR_MAX_CHARS are not in the pairs, so they are not counted.
 *
 * One request instead of two where the ranking already answers: columns only with at most `limit`
 * groups (the first composite page, of `limit + 1`, carries the aggregations), and counts alone over the
 * whole range (every group's count is in the ranking).
 */
export async function searchAggregate(
  engineSearch: (body: Body) => Promise<Answer>,
  filter: LogFilter & { from: number; to: number },
  spec: AggregateSpec,
  maxBuckets: number,
  maxDistinct = MAX_DISTINCT_VALUES,
): Promise<AggregateResult> {
  const search = (body: Body) => engineSearch(body).catch((err: unknown) => tooManyBuckets(err, spec));
  const span = spec.intervalMs === undefined ? null : histogramSpan(filter, spec.intervalMs, maxBuckets);
  if (spec.intervalMs !== undefined && span === null) return { total: 0, rows: [] };
  const query = filterQuery(filter);
  const limit = Math.max(1, Math.trunc(spec.limit));

  const metrics: Record<string, unknown> = {};
  spec.aggs.forEach((a, j) => {
    const m = metricAgg(a, maxDistinct);
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

  // Cells by (bucket start, group index; -1 is other).
  const cells = new Map<string, (number | null)[]>();
  const fill = (index: number, holder: Bucketed) => {
    if (spec.intervalMs === undefined) {
      cells.set(`0:${index}`, values(spec.aggs, holder, maxDistinct));
      return;
    }
    for (const b of (holder.t as { buckets: (Bucketed & { key: number })[] }).buckets) {
      cells.set(`${b.key}:${index}`, values(spec.aggs, b, maxDistinct));
    }
  };

  let kept: (string | null)[][] = [[]];
  let other = false;
  if (spec.by.length > 0 && spec.by.every((f) => f.kind === "column")) {
    // At most `limit` groups (service, level: the usual case) are all kept: one composite page holding
    // the aggregations too answers in one request.
    const sources = compositeSources(spec.by);
    const res = await search({
      size: 0,
      track_total_hits: false,
      query,
      aggs: {
        c: { composite: { size: limit + 1, sources }, ...(Object.keys(inner).length ? { aggs: inner } : {}) },
      },
    });
    const c = res.aggregations?.c as
      | { buckets: (Bucketed & { key: Record<string, string | null> })[] }
      | undefined;
    const page = c?.buckets ?? [];
    if (page.length <= limit) {
      const groups = page.map((b) => ({
        group: spec.by.map((_, i) => b.key[`g${i}`] ?? null),
        count: b.doc_count,
        b,
      }));
      const top = topGroups(groups, limit);
      if (top.kept.length === 0) return { total: 0, rows: [] };
      top.kept.forEach((g, k) => {
        fill(k, g.b);
      });
      const total = groups.reduce((n, g) => n + g.count, 0);
      return {
        total,
        rows: gridRows(
          spec,
          top.kept.map((g) => g.group),
          false,
          span,
          cells,
        ),
      };
    }
  }
  if (spec.by.length > 0) {
    const { groups, complete } = spec.by.some((f) => f.kind === "attribute")
      ? await rankedGroupsTree(search, query, spec.by)
      : await rankedGroups(search, query, spec.by);
    const top = topGroups(groups, limit);
    other = top.other;
    kept = top.kept.map((g) => g.group);
    if (kept.length === 0) return { total: 0, rows: [] };
    // Counts alone over the whole range: every group's count is known already (one request).
    if (complete && spec.intervalMs === undefined && spec.aggs.every((a) => a.fn === "count")) {
      const total = groups.reduce((n, g) => n + g.count, 0);
      const cells = new Map<string, (number | null)[]>();
      top.kept.forEach((g, k) => {
        cells.set(
          `0:${k}`,
          spec.aggs.map(() => g.count),
        );
      });
      const rest = total - top.kept.reduce((n, g) => n + g.count, 0);
      if (other)
        cells.set(
          "0:-1",
          spec.aggs.map(() => rest),
        );
      return { total, rows: gridRows(spec, kept, other, span, cells) };
    }
  }

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
  if (spec.by.length === 0) fill(0, { ...(res.aggregations ?? {}), doc_count: total });
  else {
    const g = res.aggregations?.g as { buckets: Record<string, Bucketed> } | undefined;
    const buckets = g?.buckets ?? {};
    for (const [name, b] of Object.entries(buckets)) fill(name === "other" ? -1 : Number(name), b);
  }

  return { total, rows: gridRows(spec, kept, other, span, cells) };
}

/**
 * The engine's refusal of an answer with more buckets than its `search.max_buckets` as a 400 naming
 * the distinct counts (every distinct value of an attribute is a bucket here), else the interval.
 */
function tooManyBuckets(err: unknown, spec: AggregateSpec): never {
  const distinct = spec.aggs.flatMap((a) =>
    a.fn === "count_distinct" && a.field.kind === "attribute"
      ? [`count_distinct(${fieldNameOf(a.field)})`]
      : [],
  );
  return rethrowTooManyBuckets(err, {
    field: distinct.length ? "agg" : "interval",
    prefix: distinct.length ? `${distinct.join(", ")}: ` : "",
    why: distinct.length ? "; every distinct value of an attribute is one" : "",
    hint: "narrow the query or the range, or take fewer groups or a longer interval",
  });
}

/** The composite aggregation's sources for column fields: `g<i>`, missing values as null. */
function compositeSources(by: Field[]): Clause[] {
  return by.map((f, i) => ({ [`g${i}`]: { terms: { field: f.name, missing_bucket: true } } }));
}

interface Ranked {
  groups: { group: (string | null)[]; count: number }[];
  /** Whether every matching event is in one of `groups`. */
  complete: boolean;
}

/** Every group's count, from composite pages (missing values as null). */
async function rankedGroups(
  search: (body: Body) => Promise<Answer>,
  query: Clause,
  by: Field[],
): Promise<Ranked> {
  const sources = compositeSources(by);
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
    if (c.buckets.length < 1000 || !c.after_key) return { groups: out, complete: true };
    after = c.after_key;
  }
  return { groups: out, complete: false };
}

/**
 * Nested terms aggregations grouping by `by`, one level per field: level i groups by `by[i]` (`v<i>`,
 * its `size` most frequent values, ties by value, and `m<i>`, the events without one), each bucket
 * holding level i + 1, and the last level's buckets `leaf`. Attributes read their `key\u0000value` pairs.
 */
function groupTree(by: Field[], size: number, leaf: Record<string, unknown>): Record<string, unknown> {
  const level = (i: number): Record<string, unknown> => {
    if (i === by.length) return leaf;
    const f = by[i] as Field;
    const next = level(i + 1);
    const sub = Object.keys(next).length ? { aggs: next } : {};
    const values =
      f.kind === "column"
        ? { field: f.name }
        : { field: KEYWORD_ATTRIBUTES_FIELD, include: `${literalRegex(keywordPairPrefix(f.name))}.*` };
    return {
      [`v${i}`]: { terms: { ...values, size, order: [{ _count: "desc" }, { _key: "asc" }] }, ...sub },
      [`m${i}`]: { filter: missing(f), ...sub },
    };
  };
  return level(0);
}

type TreeNode = Record<string, unknown> & { doc_count?: number };

/**
 * The groups of a groupTree answer with at least one event, each with its leaf bucket, and whether
 * every matching event is in one of them (no level left values out).
 */
function groupLeaves(
  by: Field[],
  aggregations: Record<string, unknown> | undefined,
): { leaves: { group: (string | null)[]; node: Bucketed }[]; complete: boolean } {
  const leaves: { group: (string | null)[]; node: Bucketed }[] = [];
  let complete = true;
  const walk = (node: TreeNode, i: number, group: (string | null)[]) => {
    if (i === by.length) {
      if ((node.doc_count ?? 0) > 0) leaves.push({ group, node: node as Bucketed });
      return;
    }
    const f = by[i] as Field;
    const cut = f.kind === "column" ? 0 : keywordPairPrefix(f.name).length;
    const terms = node[`v${i}`] as {
      sum_other_doc_count?: number;
      buckets: (TreeNode & { key: string | number })[];
    };
    if (terms.sum_other_doc_count) complete = false;
    for (const b of terms.buckets) walk(b, i + 1, [...group, String(b.key).slice(cut)]);
    walk(node[`m${i}`] as TreeNode, i + 1, [...group, null]);
  };
  walk({ ...(aggregations ?? {}), doc_count: 1 }, 0, []);
  return { leaves, complete };
}

/** Every group's count from nested terms aggregations (groupTree), in one request. */
async function rankedGroupsTree(
  search: (body: Body) => Promise<Answer>,
  query: Clause,
  by: Field[],
): Promise<Ranked> {
  const size = integerRoot(TREE_GROUPS, by.length);
  const res = await search({ size: 0, track_total_hits: false, query, aggs: groupTree(by, size, {}) });
  const { leaves, complete } = groupLeaves(by, res.aggregations);
  return { groups: leaves.map((l) => ({ group: l.group, count: l.node.doc_count })), complete };
}

/** The largest n ≥ 1 with n^k ≤ total (`1000 ** (1 / 3)` is 9.999…: floored, 9 instead of 10). */
function integerRoot(total: number, k: number): number {
  let n = Math.max(1, Math.floor(total ** (1 / k)));
  while ((n + 1) ** k <= total) n++;
  while (n > 1 && n ** k > total) n--;
  return n;
}

/** The events without a value for the field. */
function missing(f: Field): Clause {
  const has =
    f.kind === "column"
      ? { exists: { field: f.name } }
      : { prefix: { [KEYWORD_ATTRIBUTES_FIELD]: { value: keywordPairPrefix(f.name) } } };
  return { bool: { must_not: [has] } };
}

function groupClause(by: Field[], values: (string | null)[]): Clause {
  const filter = by.map((f, i) => {
    const v = values[i] ?? null;
    if (v === null) return missing(f);
    return f.kind === "column"
      ? { term: { [f.name]: v } }
      : { term: { [KEYWORD_ATTRIBUTES_FIELD]: keywordPairPrefix(f.name) + v } };
  });
  return { bool: { filter } };
}

function metricAgg(a: Aggregation, maxDistinct: number): Clause | null {
  if (a.fn === "count") return null;
  if (a.fn === "count_distinct") {
    if (a.field.kind === "column")
      return { cardinality: { field: a.field.name, precision_threshold: 40_000 } };
    // Exact (see searchAggregate): the key's pairs as buckets, counted; `sum_other_doc_count` says when
    // there were more than `size` of them.
    return {
      terms: {
        field: KEYWORD_ATTRIBUTES_FIELD,
        include: `${literalRegex(keywordPairPrefix(a.field.name))}.*`,
        size: maxDistinct,
      },
    };
  }
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

function values(aggs: Aggregation[], holder: Bucketed, maxDistinct: number): (number | null)[] {
  return aggs.map((a, j) => {
    if (a.fn === "count") return holder.doc_count;
    const m = holder[`v${j}`] as Record<string, unknown> | undefined;
    if (a.fn === "count_distinct" && a.field.kind === "attribute") {
      const t = m as { buckets?: unknown[]; sum_other_doc_count?: number } | undefined;
      if (t?.sum_other_doc_count) {
        throw new AppError(
          "BAD_REQUEST",
          `count_distinct(${fieldNameOf(a.field)}): more than ${maxDistinct.toLocaleString("en")} distinct values in one group and interval; the OpenSearch/Elasticsearch store counts an attribute's values exactly up to that many per cell: narrow the query or the range, or take a shorter interval`,
          { errors: [{ field: "agg", message: `more than ${maxDistinct} distinct values in one cell` }] },
        );
      }
      return t?.buckets?.length ?? 0;
    }
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
 * One groupMany query as a search body: the metric and the newest timestamp per group, or, without `by`,
 * over every match.
 * - Columns only: a composite aggregation over them (missing values as null), one page of `maxGroups`
 *   groups in value order.
 * - With an attribute (whose `key\u0000value` keywords a composite source cannot read): nested terms
 *   (groupTree), per field the k-th root of `maxGroups` values (k fields), most frequent first, each
 *   level with the events missing the field; groupedValues keeps the `maxGroups` largest, ties by value, as Postgres
 *   does. Exact while each field has at most that many values within its parent group, else the most
 *   frequent ones (a rule on a field with more values evaluates its largest groups).
 */
export function groupedBody(query: GroupedQuery, maxGroups: number, timeoutMs: number): Body {
  const metrics: Record<string, unknown> = { latest: { max: { field: "timestamp" } } };
  const m = metricAgg(query.agg, MAX_DISTINCT_VALUES);
  if (m) metrics.v0 = m;
  const base = {
    size: 0,
    track_total_hits: true,
    timeout: `${timeoutMs}ms`,
    query: filterQuery(query.filter),
  };
  if (query.by.length === 0) return { ...base, aggs: metrics };
  const groups = Math.max(1, Math.trunc(maxGroups));
  if (query.by.some((f) => f.kind === "attribute")) {
    const size = integerRoot(groups, query.by.length);
    return { ...base, track_total_hits: false, aggs: groupTree(query.by, size, metrics) };
  }
  const sources = compositeSources(query.by);
  return {
    ...base,
    track_total_hits: false,
    aggs: { c: { composite: { size: groups, sources }, aggs: metrics } },
  };
}

/** The groups of a groupMany query from its answer (see groupedBody). */
export function groupedValues(query: GroupedQuery, res: Answer, maxGroups: number): GroupedValue[] {
  const one = (group: (string | null)[], holder: Bucketed): GroupedValue => {
    const value = values([query.agg], holder, MAX_DISTINCT_VALUES)[0] ?? null;
    const latest = (holder.latest as { value?: number | null } | undefined)?.value ?? null;
    return { group, count: holder.doc_count, value, latest: latest ?? 0 };
  };
  if (query.by.length === 0) {
    const total = typeof res.hits.total === "number" ? res.hits.total : (res.hits.total?.value ?? 0);
    return [one([], { ...(res.aggregations ?? {}), doc_count: total })];
  }
  if (query.by.some((f) => f.kind === "attribute")) {
    const { leaves } = groupLeaves(query.by, res.aggregations);
    const { kept } = topGroups(
      leaves.map((l) => ({ group: l.group, count: l.node.doc_count, node: l.node })),
      Math.max(1, Math.trunc(maxGroups)),
    );
    return kept.map((g) => one(g.group, g.node));
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
