import type { Fragment, Sql } from "postgres";
import type { GroupedQuery, GroupedValue, LogFilter } from "../../ports/log-store.ts";
import { compareGroups } from "../../query/aggregate.ts";
import type { Field } from "../../query/ast.ts";
import { attributeNumberSql, valueText } from "../../query/postgres.ts";
import { percentileOf } from "../../query/schema.ts";
import { asTemplate, joinSql, sql as q, type SqlFragment, sqlConstant } from "../../query/sql.ts";
import { countGroupsMany, countsByWindow } from "./alert-counts.ts";
import { filteredLogs, filterSql } from "./filter-sql.ts";
import {
  type Cell,
  eachInRange,
  MAX_CACHED_MINUTES,
  type MinuteCache,
  minutesOf,
  percentileOfValues,
  type View,
} from "./minute-cache.ts";
import { MINUTE_MS } from "./minute-counts.ts";

type GroupRow = { i: number; g: (string | null)[]; n: number; v0: number | null; latest: number | null };

/** Queries one shared scan answers at most (three aggregates each in its select list). */
const MAX_SHARED = 64;

/**
 * groupMany on Postgres and PGlite. Counts by service and/or level over an alert window come from
 * countMany's per-minute cells (alert-counts.ts), all together, and answer `latest` with the window's
 * end. Every other query is a `group by` over its filter (the largest `maxGroups` groups by count,
 * ties by value), queries over the same range and text reading its rows once (sharedScan), all of them
 * as a UNION ALL spread over `parallelism` statements run side by side.
 * With a `cache`, the other alert windows (whole minutes, at most a day) are answered from its minutes
 * instead (minute-cache.ts): a tick reads only the minutes that are new or changed, not each window.
 * Values as LogStore.aggregate computes them (percentiles exact).
 */
export async function groupMany(
  sql: Sql,
  queries: GroupedQuery[],
  maxGroups: number,
  parallelism: number,
  cache?: MinuteCache,
): Promise<GroupedValue[][]> {
  const out: GroupedValue[][] = queries.map(() => []);
  if (queries.length === 0) return out;
  const columnsOnly = (query: GroupedQuery) =>
    query.agg.fn === "count" &&
    query.by.length > 0 &&
    query.by.every((f) => f.kind === "column" && (f.name === "service" || f.name === "level")) &&
    countsByWindow(query.filter);
  const byCells = queries.flatMap((query, i) => (columnsOnly(query) ? [i] : []));
  const cellsDone = countGroupsMany(
    sql,
    byCells.map((i) => ({
      filter: queries[i]!.filter,
      by: queries[i]!.by.map((f) => f.name as "service" | "level"),
    })),
    parallelism,
    cache,
  ).then((answers) =>
    answers.forEach((groups, k) => {
      const i = byCells[k]!;
      const ranked = groups.sort(
        (a, b) => b.count - a.count || (a.group.join("\u0000") < b.group.join("\u0000") ? -1 : 1),
      );
      out[i] = ranked.slice(0, Math.max(1, Math.trunc(maxGroups))).map((g) => ({
        group: g.group,
        count: g.count,
        value: g.count,
        latest: queries[i]!.filter.to,
      }));
    }),
  );
  const cellQueries = new Set(byCells);
  const pg = (f: SqlFragment) => sql(...asTemplate(f));
  const limit = Math.max(1, Math.trunc(maxGroups));
  const cached = cache
    ? queries.flatMap((query, i) => (!cellQueries.has(i) && cacheable(query) ? [i] : []))
    : [];
  const cachedDone = cached.length
    ? cache!
        .views(
          sql,
          cached.map((i) => ({ spec: specOf(queries[i]!), ...minutesOf(...rangeUs(queries[i]!)) })),
          parallelism,
        )
        .then((views) =>
          cached.forEach((i, k) => {
            out[i] = fromView(queries[i]!, views[k]!, limit);
          }),
        )
    : Promise.resolve();
  // Awaited below, after the scans: a failure there must not leave these rejecting unobserved.
  const sideDone = Promise.all([cellsDone, cachedDone]);
  sideDone.catch(() => {});
  const taken = new Set([...byCells, ...cached]);
  const rest = queries.flatMap((_, i) => (taken.has(i) ? [] : [i]));
  const units = shareScans(queries, rest);
  // Longest scans first, each to the statement with the least range so far (ranges as a cost guess).
  const span = (u: number[]) =>
    Math.max(...u.map((i) => queries[i]!.filter.to)) - Math.min(...u.map((i) => queries[i]!.filter.from));
  units.sort((a, b) => span(b) - span(a));
  const slices = Array.from({ length: Math.max(1, Math.min(parallelism, units.length)) }, () => ({
    cost: 0,
    units: [] as number[][],
  }));
  for (const u of units) {
    const slice = slices.reduce((a, b) => (b.cost < a.cost ? b : a));
    slice.units.push(u);
    slice.cost += span(u);
  }
  const answers = await Promise.all(
    slices
      .filter((s) => s.units.length > 0)
      .map((s) => {
        const union = s.units
          .map((u) => sharedScan(sql, pg, queries, u, limit))
          .reduce((all, part) => sql`${all} union all ${part}`);
        return sql.begin(async (tx) => {
          // The collected values of a day's rows, hashed by group, stay in memory.
          await tx`set local work_mem = '64MB'`;
          return tx<GroupRow[]>`${union}`;
        });
      }),
  );
  await sideDone;
  for (const rows of answers) {
    for (const r of rows) {
      const count = Number(r.n);
      const query = queries[r.i]!;
      // Without `by` an empty range is still one row (count 0), as the reference answers.
      if (count === 0 && query.by.length > 0) continue;
      out[r.i]!.push({
        group: r.g,
        count,
        value: query.agg.fn === "count" ? count : r.v0 === null ? null : Number(r.v0),
        latest: r.latest === null ? 0 : Number(r.latest),
      });
    }
  }
  return out;
}

/** An alert window the cache answers: whole minutes, at most a day, no correlation or trace id. */
function cacheable(query: GroupedQuery): boolean {
  const { from, to } = query.filter;
  return (
    countsByWindow(query.filter) &&
    Number.isInteger(from) &&
    Number.isInteger(to) &&
    to - from <= MAX_CACHED_MINUTES * MINUTE_MS
  );
}

function specOf(query: GroupedQuery) {
  return {
    text: query.filter.text?.trim() || null,
    by: query.by,
    attributes: query.agg.fn === "count" ? [] : [query.agg.attribute],
  };
}

/** The query's range in epoch microseconds, end exclusive: [from, to + 1 ms) as filterSql reads it. */
function rangeUs(query: GroupedQuery): [number, number] {
  return [query.filter.from * 1000, (Math.floor(query.filter.to) + 1) * 1000];
}

interface Acc {
  group: (string | null)[];
  n: number;
  latestUs: number;
  /** Events with a number, their sum, least and greatest; the numbers themselves for percentiles. */
  numbers: number;
  sum: number;
  min: number;
  max: number;
  values: number[];
}

/**
 * A query's answer from the cache's minutes, as groupedBranch answers it: the query's services and
 * levels, each group's count, function and newest event, the `limit` largest groups (ties by value).
 */
function fromView(query: GroupedQuery, view: View, limit: number): GroupedValue[] {
  const services = query.filter.services?.length ? new Set(query.filter.services) : null;
  const levels = query.filter.levels?.length ? new Set<string>(query.filter.levels) : null;
  const keep = (c: Cell) => (!services || services.has(c.service)) && (!levels || levels.has(c.level));
  const fn = query.agg.fn;
  const percentile = percentileOf(fn);
  const accs = new Map<string, Acc>();
  const [fromUs, endUs] = rangeUs(query);
  eachInRange(view, fromUs, endUs, keep, (minute, cell, a, b, m) => {
    let acc = accs.get(cell.key);
    if (!acc) {
      acc = {
        group: cell.group,
        n: 0,
        latestUs: 0,
        numbers: 0,
        sum: 0,
        min: Infinity,
        max: -Infinity,
        values: [],
      };
      accs.set(cell.key, acc);
    }
    acc.n += b - a;
    acc.latestUs = Math.max(acc.latestUs, m * 1000 + minute.offs[b - 1]!);
    if (fn === "count") return;
    const xs = minute.vals[0]!;
    for (let j = a; j < b; j++) {
      const x = xs[j]!;
      if (Number.isNaN(x)) continue; // no number there
      acc.numbers++;
      if (percentile !== null) acc.values.push(x);
      else {
        acc.sum += x;
        if (x < acc.min) acc.min = x;
        if (x > acc.max) acc.max = x;
      }
    }
  });
  const valueFor = (acc: Acc): number | null => {
    if (fn === "count") return acc.n;
    if (acc.numbers === 0) return null;
    if (percentile !== null) return percentileOfValues(Float64Array.from(acc.values), percentile);
    if (fn === "sum") return acc.sum;
    if (fn === "avg") return acc.sum / acc.numbers;
    return fn === "min" ? acc.min : acc.max;
  };
  // Largest first, ties by value as the SQL orders them (collate "C", nulls first).
  const ranked = [...accs.values()].sort((x, y) => y.n - x.n || compareGroups(x.group, y.group));
  const out = ranked.slice(0, limit).map((acc) => ({
    group: acc.group,
    count: acc.n,
    value: valueFor(acc),
    latest: acc.latestUs / 1000,
  }));
  // Without `by`, one answer even when nothing matched, as the SQL's one row.
  if (query.by.length === 0 && out.length === 0)
    out.push({ group: [], count: 0, value: fn === "count" ? 0 : null, latest: 0 });
  return out;
}

/**
 * The generic queries split into units that one read of the logs answers: same range, text, correlation
 * and trace id, whatever their `by`, services, levels and functions (at most MAX_SHARED each). Sharing
 * across ranges read the longest range once for all, which measured slower than reading each range
 * (even only ranges down to an eighth of the widest: 140k pages against 158k, but groupMany 2–3 s
 * slower, the widest range's statement doing the narrower ones' work on one connection);
 * sharing across `by` reads a range once where it was read once per `by` (a day's rows of a 600 MB
 * table, 75k pages, read twice for two 24 h rules grouped differently).
 */
function shareScans(queries: GroupedQuery[], indexes: number[]): number[][] {
  const units = new Map<string, number[][]>();
  for (const i of indexes) {
    const { filter } = queries[i]!;
    const key = JSON.stringify([
      filter.from,
      filter.to,
      filter.text?.trim() ?? "",
      filter.correlationId ?? null,
      filter.traceId ?? null,
    ]);
    const list = units.get(key) ?? [];
    if (!list.length || list[list.length - 1]!.length >= MAX_SHARED) list.push([]);
    list[list.length - 1]!.push(i);
    units.set(key, list);
  }
  return [...units.values()].flat();
}

const fieldKey = (f: Field) => JSON.stringify([f.kind, f.name]);

/**
 * One unit's answer (i, g, n, v0, latest rows, at most `limit` groups per query, the largest by count,
 * ties by value) from one read of the rows any of its queries matches: the rows' group values, time,
 * service, level and each attribute's number are computed once (behind `offset 0`; kept in a
 * materialized CTE when the unit's queries group by different fields), then, per `by`, each query's
 * count, value and newest time are aggregates FILTERed by its own range, services and levels.
 * Values exactly as aggregationSql computes them (percentile_cont for percentiles).
 */
function sharedScan(
  sql: Sql,
  pg: (f: SqlFragment) => Fragment,
  queries: GroupedQuery[],
  unit: number[],
  limit: number,
) {
  const first = queries[unit[0]!]!;
  const filters = unit.map((i) => queries[i]!.filter);
  const union = <T>(lists: (T[] | undefined)[]) =>
    lists.every((l) => l?.length) ? [...new Set(lists.flatMap((l) => l ?? []))] : undefined;
  const outer: LogFilter = {
    text: first.filter.text,
    correlationId: first.filter.correlationId,
    traceId: first.filter.traceId,
    from: Math.min(...filters.map((f) => f.from)),
    to: Math.max(...filters.map((f) => f.to)),
    services: union(filters.map((f) => f.services)),
    levels: union(filters.map((f) => f.levels)) as LogFilter["levels"],
  };
  // Every field any query groups by, once: f0, f1, …
  const fields = new Map<string, Field>();
  for (const i of unit) for (const f of queries[i]!.by) fields.set(fieldKey(f), f);
  const fieldNames = new Map([...fields.keys()].map((k, j) => [k, `f${j}`]));
  const attributes = [
    ...new Set(
      unit.flatMap((i) =>
        queries[i]!.agg.fn === "count" ? [] : [(queries[i]!.agg as { attribute: string }).attribute],
      ),
    ),
  ];
  const inner = joinSql(
    [
      ...[...fields.entries()].map(([k, f]) => q`${valueText(f)} as ${sqlConstant(fieldNames.get(k)!)}`),
      q`ts, service, level`,
      ...attributes.map((a, k) => q`${attributeNumberSql(a)} as ${sqlConstant(`x${k}`)}`),
    ],
    ", ",
  );
  const byKey = (i: number) => JSON.stringify(queries[i]!.by.map(fieldKey));
  const branches = new Map<string, number[]>();
  for (const i of unit) branches.set(byKey(i), [...(branches.get(byKey(i)) ?? []), i]);
  const scan = sql`(select ${pg(inner)} from ${filteredLogs(sql, outer, false)} offset 0)`;
  if (branches.size === 1) return groupedBranch(sql, pg, queries, unit, limit, attributes, fieldNames, scan);
  const parts = [...branches.values()]
    .map((b) => groupedBranch(sql, pg, queries, b, limit, attributes, fieldNames, sql`scanned`))
    .reduce((all, part) => sql`${all} union all ${part}`);
  return sql`(with scanned as materialized ${scan} ${parts})`;
}

/** The answer of queries with the same `by` over the rows of `source` (see sharedScan). */
function groupedBranch(
  sql: Sql,
  pg: (f: SqlFragment) => Fragment,
  queries: GroupedQuery[],
  unit: number[],
  limit: number,
  attributes: string[],
  fieldNames: Map<string, string>,
  source: Fragment,
) {
  const names = queries[unit[0]!]!.by.map((f) => fieldNames.get(fieldKey(f))!);
  const aggs = unit.map((i, k) => {
    const { filter, agg } = queries[i]!;
    const own = filterSql(
      sql,
      { from: filter.from, to: filter.to, services: filter.services, levels: filter.levels },
      false,
    );
    let value: Fragment = sql`(count(*) filter (where ${own}))::float8`;
    if (agg.fn !== "count") {
      const x = sqlConstant(`x${attributes.indexOf(agg.attribute)}`);
      // A percentile collects its values (array_agg), taken apart once per group below: an ordered-set
      // aggregate (percentile_cont) cannot be hashed, so the planner sorted every row of the scan by
      // group first, a day's rows spilling to disk.
      value =
        percentileOf(agg.fn) !== null
          ? sql`array_agg(${pg(x)}) filter (where ${own} and ${pg(x)} is not null)`
          : sql`(${pg(q`${sqlConstant(agg.fn)}(${x})`)} filter (where ${own}))::float8`;
    }
    return sql`(count(*) filter (where ${own}))::float8 as ${sql(`n${k}`)},
      ${value} as ${sql(`v${k}`)},
      (extract(epoch from max(ts) filter (where ${own})) * 1000)::float8 as ${sql(`l${k}`)}`;
  });
  const list = aggs.reduce((all, part) => sql`${all}, ${part}`);
  const valueSql = (i: number, k: number) => {
    const p = percentileOf(queries[i]!.agg.fn);
    const v = sql`s.${sql(`v${k}`)}`;
    return p === null
      ? v
      : sql`(select percentile_cont(${p}::float8) within group (order by u) from unnest(${v}) as t(u))`;
  };
  const rows = sql`(values ${unit
    .map((i, k) => sql`(${i}::int, s.${sql(`n${k}`)}, ${valueSql(i, k)}, s.${sql(`l${k}`)})`)
    .reduce((all, part) => sql`${all}, ${part}`)}) as k(i, n, v0, latest)`;
  // JSON, not text[]: postgres.js reads the NULL of `{NULL}` as the string "NULL", so a group without
  // the field (null) came back as one whose value is "NULL".
  const g = sqlConstant(
    names.length ? `json_build_array(${names.map((n) => `s.${n}`).join(", ")})` : "'[]'::json",
  );
  const order = sqlConstant(
    ["k.n desc", ...names.map((n) => `s.${n} collate "C" asc nulls first`)].join(", "),
  );
  const groupBy = names.length ? sql`group by ${pg(sqlConstant(names.join(", ")))}` : sql``;
  const selected = names.length ? pg(sqlConstant(`${names.join(", ")}, `)) : sql``;
  // With `by`, only groups the query matched; without, its one row (count 0 when nothing matches).
  const matched = names.length ? sql`where k.n > 0` : sql``;
  return sql`(select i, g, n, v0, latest from (
      select k.i, ${pg(g)} as g, k.n, k.v0, k.latest, row_number() over (partition by k.i order by ${pg(order)}) as r
      from (select ${selected} ${list}
        from ${source} as scanned
        ${groupBy}) as s
      cross join lateral ${rows}
      ${matched}) as ranked
    where r <= ${limit})`;
}
