import type { Sql } from "postgres";
import { histogramSpan, type LogFilter } from "../../ports/log-store.ts";
import { type AggregateResult, type AggregateSpec, gridRows } from "../../query/aggregate.ts";
import { attributeNumberSql, valueText } from "../../query/postgres.ts";
import type { Aggregation } from "../../query/schema.ts";
import { percentileOf } from "../../query/schema.ts";
import { asTemplate, joinSql, sql as q, type SqlFragment, sqlConstant } from "../../query/sql.ts";
import { filteredLogs } from "./filter-sql.ts";

/**
 * LogStore.aggregate on Postgres and PGlite (semantics: core/query/aggregate.ts), in two statements:
 * the groups ranked by count (only with `by`), then one pass that buckets each matching row by time and
 * by kept group (or `other`) and computes every aggregation there. Percentiles are exact
 * (percentile_cont: linear interpolation between the closest ranks). Counts alone over the whole range
 * (`by=service,level`, the commonest ask) are answered by the ranking itself: the kept groups' counts,
 * and the rest from the total of every group, in one statement.
 */
export async function aggregate(
  sql: Sql,
  filter: LogFilter & { from: number; to: number },
  spec: AggregateSpec,
  scanText: boolean,
  maxBuckets: number,
): Promise<AggregateResult> {
  const span = spec.intervalMs === undefined ? null : histogramSpan(filter, spec.intervalMs, maxBuckets);
  if (spec.intervalMs !== undefined && span === null) return { total: 0, rows: [] };
  const pg = (f: SqlFragment) => sql(...asTemplate(f));
  const groupExprs = spec.by.map(valueText);
  const limit = Math.max(1, Math.trunc(spec.limit));

  let kept: (string | null)[][] = [[]];
  let other = false;
  if (groupExprs.length > 0) {
    const cols = joinSql(
      groupExprs.map((g, i) => q`${g} as ${sqlConstant(`g${i}`)}`),
      ", ",
    );
    const order = joinSql(
      groupExprs.map((_, i) => sqlConstant(`g${i} collate "C" asc nulls first`)),
      ", ",
    );
    const positions = sqlConstant(groupExprs.map((_, i) => String(i + 1)).join(", "));
    const rows = await sql<Record<string, string | number | null>[]>`
      select *, sum(n) over ()::float8 as total from (
        select ${pg(cols)}, count(*)::float8 as n
        from ${filteredLogs(sql, filter, scanText)}
        group by ${pg(positions)}) counted
      order by n desc, ${pg(order)}
      limit ${limit + 1}`;
    other = rows.length > limit;
    kept = rows.slice(0, limit).map((r) => groupExprs.map((_, i) => (r[`g${i}`] ?? null) as string | null));
    if (spec.intervalMs === undefined && spec.aggs.every((a) => a.fn === "count")) {
      const total = Number(rows[0]?.total ?? 0);
      const cells = new Map<string, (number | null)[]>();
      let rest = total;
      rows.slice(0, limit).forEach((r, k) => {
        rest -= Number(r.n);
        cells.set(
          `0:${k}`,
          spec.aggs.map(() => Number(r.n)),
        );
      });
      if (other)
        cells.set(
          "0:-1",
          spec.aggs.map(() => rest),
        );
      return { total, rows: kept.length === 0 ? [] : gridRows(spec, kept, other, span, cells) };
    }
  }

  // Which kept group a row is in (its position), or -1 for the rest.
  let grp: SqlFragment = q`0`;
  if (groupExprs.length > 0) {
    if (kept.length === 0) return { total: 0, rows: [] };
    const whens = kept.map((values, k) => {
      const conds = groupExprs.map((g, i) => {
        const v = values[i] ?? null;
        return v === null ? q`${g} is null` : q`${g} = ${v}::text`;
      });
      return q`when ${joinSql(conds, " and ")} then ${k}::int`;
    });
    grp = q`(case ${joinSql(whens, " ")} else -1 end)`;
  }
  const values = joinSql(spec.aggs.map(aggregationSql), ", ");
  const bucket = spec.intervalMs === undefined ? q`0::float8` : timeBucket(spec.intervalMs);
  const rows = await sql<Record<string, number | null>[]>`
    select ${pg(bucket)} as bucket, ${pg(grp)} as grp, count(*)::float8 as n, ${pg(values)}
    from ${filteredLogs(sql, filter, scanText)}
    group by 1, 2`;

  const cells = new Map<string, (number | null)[]>();
  let total = 0;
  for (const r of rows) {
    total += Number(r.n);
    cells.set(
      `${Number(r.bucket)}:${Number(r.grp)}`,
      spec.aggs.map((_, j) => (r[`v${j}`] === null ? null : Number(r[`v${j}`]))),
    );
  }
  return { total, rows: gridRows(spec, kept, other, span, cells) };
}

/** The bucket's start in epoch ms, aligned to multiples of the interval since the epoch. */
function timeBucket(intervalMs: number): SqlFragment {
  return q`(extract(epoch from date_bin(${`${intervalMs} milliseconds`}::interval, ts, timestamptz 'epoch')) * 1000)::float8`;
}

/** One aggregation's value over the group's rows, named v{j}. */
export function aggregationSql(a: Aggregation, j: number): SqlFragment {
  const name = sqlConstant(`v${j}`);
  if (a.fn === "count") return q`count(*)::float8 as ${name}`;
  if (a.fn === "count_distinct") return q`count(distinct ${valueText(a.field)})::float8 as ${name}`;
  const n = attributeNumberSql(a.attribute);
  const p = percentileOf(a.fn);
  if (p !== null) return q`percentile_cont(${p}::float8) within group (order by ${n}) as ${name}`;
  const fn = sqlConstant(a.fn);
  return q`${fn}(${n})::float8 as ${name}`;
}
