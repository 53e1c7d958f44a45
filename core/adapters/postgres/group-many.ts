import type { Sql } from "postgres";
import type { GroupedQuery, GroupedValue } from "../../ports/log-store.ts";
import { valueText } from "../../query/postgres.ts";
import { asTemplate, joinSql, sql as q, type SqlFragment, sqlConstant } from "../../query/sql.ts";
import { aggregationSql } from "./aggregate.ts";
import { countGroupsMany, countsByWindow } from "./alert-counts.ts";
import { filteredLogs } from "./filter-sql.ts";

type GroupRow = { i: number; g: (string | null)[]; n: number; v0: number | null; latest: number | null };

/**
 * groupMany on Postgres and PGlite. Counts by service and/or level over an alert window come from
 * countMany's per-minute cells (alert-counts.ts), all together, and answer `latest` with the window's
 * end. Every other query is one `group by` over its filter (the largest `maxGroups` groups by count,
 * ties by value), all of them as a UNION ALL spread over `parallelism` statements run side by side.
 * Values as LogStore.aggregate computes them (percentiles exact).
 */
export async function groupMany(
  sql: Sql,
  queries: GroupedQuery[],
  maxGroups: number,
  parallelism: number,
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
  const one = (query: GroupedQuery, i: number) => {
    const groups = query.by.map(valueText);
    const names = groups.map((_, k) => `g${k}`);
    const g = sqlConstant(names.length ? `array[${names.join(", ")}]::text[]` : "array[]::text[]");
    const by = names.length ? sqlConstant(names.map((_, k) => String(k + 1)).join(", ")) : null;
    const order = sqlConstant(["n desc", ...names.map((n) => `${n} collate "C" asc nulls first`)].join(", "));
    const cols = joinSql(
      groups.map((e, k) => q`${e} as ${sqlConstant(`g${k}`)}, `),
      "",
    );
    // The groups' columns are named inside and read outside, where `collate` may apply to them; the
    // union sees the same five columns from every query.
    return sql`(select ${i}::int as i, ${pg(g)} as g, n, v0, latest from (
      select ${pg(cols)} count(*)::float8 as n, ${pg(aggregationSql(query.agg, 0))},
        (extract(epoch from max(ts)) * 1000)::float8 as latest
      from ${filteredLogs(sql, query.filter, false)}
      ${by ? sql`group by ${pg(by)}` : sql``}) counted
      order by ${pg(order)}
      limit ${limit})`;
  };
  const slices: number[][] = Array.from({ length: Math.max(1, parallelism) }, () => []);
  const rest = queries.flatMap((_, i) => (cellQueries.has(i) ? [] : [i]));
  for (let k = 0; k < rest.length; k++) slices[k % slices.length]!.push(rest[k]!);
  const answers = await Promise.all(
    slices
      .filter((s) => s.length > 0)
      .map((s) => {
        const union = s.map((i) => one(queries[i]!, i)).reduce((all, part) => sql`${all} union all ${part}`);
        return sql<GroupRow[]>`${union}`;
      }),
  );
  await cellsDone;
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
