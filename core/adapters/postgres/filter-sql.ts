import type { Fragment, Sql } from "postgres";
import type { LogFilter } from "../../ports/log-store.ts";
import { leaves, type QueryNode } from "../../query/ast.ts";
import { parseLogQuery } from "../../query/parse.ts";
import { toSql } from "../../query/postgres.ts";
import { asTemplate } from "../../query/sql.ts";
import { iso } from "../log-store-common.ts";

/**
 * The store's filter as SQL over `logs`: every value a bound parameter, so nothing a user types is
 * ever read as SQL. A compiler of another filter language sits beside this one and hands the readers
 * the same thing: a condition fragment to put after `where`.
 */

/** Above this many words, text always goes through the full-text index (see scanTextFirst). */
const MAX_SCAN_WORDS = 3;

/**
 * The filter's query (the query language, core/query/GRAMMAR.md) as a condition on `logs`: words
 * become a tsquery over the stored words (core/search-text.ts made both), attribute terms JSON
 * containment or per-row reads (core/query/postgres.ts); every value a bound parameter. Text without a
 * word matches nothing; text that cannot be parsed throws QueryError (a 400).
 */
export function textMatch(sql: Sql, text: string): Fragment {
  return sql(...asTemplate(toSql(parseLogQuery(text))));
}

/** The filter as one SQL condition on `logs`; `withText: false` leaves its text out. */
export function filterSql(sql: Sql, f: LogFilter, withText = true): Fragment {
  const conds: Fragment[] = [sql`true`];
  // Blank text is no text filter (an empty search box). Text without a single searchable word (say
  // "%" or "*:*") gives an empty tsquery, which matches nothing: such characters are not indexed, so
  // no event can be shown to contain them, and returning everything would pretend otherwise.
  if (withText && f.text?.trim()) conds.push(sql`and ${textMatch(sql, f.text)}`);
  // Empty lists do not narrow: `?service=` parsed to [] means "no service filter", not "no service".
  // A single value is compared with `=`, which lets the planner walk (service, ts) in order and stop
  // after one page; `= any(array)` does not give ordered index scans before Postgres 17.
  if (f.services?.length === 1) conds.push(sql`and service = ${f.services[0] ?? ""}`);
  else if (f.services && f.services.length > 1) conds.push(sql`and service = any(${f.services}::text[])`);
  if (f.levels?.length === 1) conds.push(sql`and level = ${f.levels[0] ?? ""}`);
  else if (f.levels && f.levels.length > 1) conds.push(sql`and level = any(${f.levels}::text[])`);
  if (f.from !== undefined) conds.push(sql`and ts >= ${iso(f.from)}::timestamptz`);
  // `to` is an inclusive millisecond: the events with microseconds within it are in.
  if (f.to !== undefined) conds.push(sql`and ts < ${iso(Math.floor(f.to) + 1)}::timestamptz`);
  if (f.correlationId !== undefined) conds.push(sql`and correlation_id = ${f.correlationId}`);
  if (f.traceId !== undefined) conds.push(sql`and trace_id = ${f.traceId}`);
  return sql`${conds}`;
}

/**
 * `logs where …` for a filter, plus extra conditions. With `scanText`, the non-text conditions sit in
 * a subquery behind `offset 0`, a fence the planner does not push the text condition through, so the
 * text is checked on their rows instead of through the GIN index.
 *
 * Not async on purpose: a fragment is a thenable, and an async function returning one would run it
 * as a query of its own.
 */
export function filteredLogs(sql: Sql, f: LogFilter, scanText: boolean, extra: Fragment[] = []): Fragment {
  // postgres.js sends an empty array as a parameter, not as an empty list of fragments.
  const more = extra.length > 0 ? extra : sql``;
  if (!scanText) return sql`logs where ${filterSql(sql, f)} ${more}`;
  return sql`(select * from logs where ${filterSql(sql, f, false)} ${more} offset 0) as logs
    where ${textMatch(sql, f.text ?? "")}`;
}

/**
 * Whether to apply the text by reading the rows the other conditions select, instead of through the
 * full-text index. The GIN index knows nothing of time or service: for a common word it yields every
 * match in each day's partition (100k entries for one word in 1M events), which costs ~30 ms to
 * collect before the service and the last hour narrow it to a few dozen. Postgres's cost model
 * underrates that, so we ask the planner how many rows the other conditions select, and at or below
 * `belowRows` match the text on those rows directly (~1 µs a row). One EXPLAIN, no execution.
 */
export async function scanTextFirst(sql: Sql, f: LogFilter, belowRows: number): Promise<boolean> {
  if (!f.text?.trim()) return false;
  // An attribute's equality (`user_id:u_42`) is answered by the GIN index over attributes far faster
  // than by reading the range's rows: 0.3 ms against 20 ms for one user in an hour of 6,400 events
  // (200k events over a day). Ranges, prefixes and existence are read per row either way.
  const attributeEquality = (l: QueryNode) => l.type === "equals" && l.field.kind === "attribute";
  if (leaves(parseLogQuery(f.text)).some(attributeEquality)) return false;
  // Several words make the index selective (it intersects their posting lists) and make matching each
  // row dearer (a pasted log line is a phrase of dozens of words): the index wins there.
  if (f.text.trim().split(/\s+/).length > MAX_SCAN_WORDS) return false;
  const narrowed =
    f.from !== undefined ||
    f.to !== undefined ||
    (f.services?.length ?? 0) > 0 ||
    (f.levels?.length ?? 0) > 0 ||
    f.correlationId !== undefined ||
    f.traceId !== undefined;
  if (!narrowed) return false;
  const [row] = await sql<{ "QUERY PLAN": [{ Plan: { "Plan Rows": number } }] }[]>`
    explain (format json) select 1 from logs where ${filterSql(sql, f, false)}`;
  const estimate = row?.["QUERY PLAN"][0]?.Plan["Plan Rows"];
  return estimate !== undefined && estimate <= belowRows;
}
