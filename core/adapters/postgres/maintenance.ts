import type { Sql } from "postgres";
import { iso } from "../log-store-common.ts";
import { MINUTE_MS, minuteOfTs } from "./minute-counts.ts";
import type { LogPartitions } from "./partitions.ts";

/**
 * The log store's chores: retention, and repairs after a rolling upgrade (`bun run db:recount`). Each
 * one that rewrites log_minutes first locks it against writers, who add to it inside their insert's
 * transaction: the lock waits for the ones in flight and holds new ones back, so the recount sees every
 * committed row and no writer adds to a minute between its delete and its insert.
 */

/**
 * Count log_minutes again from `logs` for the minutes at or after `from` (every minute without it).
 * For what the insert could not keep: rows written by a process running code from before
 * migration 3 (a rolling deploy), or edits made to `logs` by hand. Writers wait meanwhile.
 */
export function recountMinutes(sql: Sql, from?: number): Promise<{ minutes: number; events: number }> {
  const since = from === undefined ? null : iso(Math.floor(from / MINUTE_MS) * MINUTE_MS);
  return sql.begin(async (tx) => {
    await tx`lock table log_minutes in share row exclusive mode`;
    await tx`delete from log_minutes where ${since === null ? tx`true` : tx`minute >= ${since}::timestamptz`}`;
    const [row] = await tx<{ minutes: number; events: number | string }[]>`
      with counted as (
        insert into log_minutes (minute, service, level, n)
        select ${minuteOfTs(tx as unknown as Sql)}, service, level, count(*)
        from logs where ${since === null ? tx`true` : tx`ts >= ${since}::timestamptz`}
        group by 1, 2, 3
        returning minute, n
      )
      select count(distinct minute)::int as minutes, coalesce(sum(n), 0) as events from counted`;
    return { minutes: row?.minutes ?? 0, events: Number(row?.events ?? 0) };
  });
}

/**
 * Give the search column's words to events stored without them at or after `from` (every such event
 * without it): rows written by a process running code from before migration 6 (a rolling deploy),
 * which left the column to Postgres. The words come from the migration's SQL function, the writer's
 * words for all but rare symbols (db/migrations/0006_search_words.sql).
 */
export async function fillSearchWords(sql: Sql, from?: number): Promise<number> {
  const since = from === undefined ? sql`` : sql`and ts >= ${iso(from)}::timestamptz`;
  const done = await sql`
    update logs set search = logflow_search_words(service, message) where search is null ${since}`;
  return done.count;
}

/**
 * Retention: whole days before the cutoff are dropped (partitions.ts), and the per-minute counts
 * follow: minutes wholly before the cutoff go, and the minute the cutoff falls in is counted again
 * from what is left of it.
 */
export async function deleteOlderThan(
  sql: Sql,
  partitions: LogPartitions,
  cutoff: number,
  sliceRows: number,
): Promise<number> {
  const removed = await partitions.deleteOlderThan(cutoff, sliceRows);
  const minute = iso(Math.floor(cutoff / MINUTE_MS) * MINUTE_MS);
  await sql.begin(async (tx) => {
    await tx`lock table log_minutes in share row exclusive mode`;
    await tx`delete from log_minutes where minute <= ${minute}::timestamptz`;
    await tx`
      insert into log_minutes (minute, service, level, n)
      select ${minute}::timestamptz, service, level, count(*)
      from logs where ts >= ${minute}::timestamptz and ts < ${minute}::timestamptz + interval '1 minute'
      group by 2, 3`;
  });
  return removed;
}

/**
 * Per-service retention: the events of `services` older than the cutoff, `sliceRows` per transaction
 * (the same reason as for the boundary day in partitions.ts: a long delete would hold every live tail
 * back). Partitions hold every service, so rows are deleted, not tables dropped. Their per-minute
 * counts follow as in deleteOlderThan. Returns the number of events removed.
 */
export async function deleteServicesOlderThan(
  sql: Sql,
  services: string[],
  cutoff: number,
  sliceRows: number,
): Promise<number> {
  if (services.length === 0) return 0;
  const before = new Date(cutoff).toISOString();
  let removed = 0;
  for (;;) {
    const deleted = await sql`
      delete from logs where ts < ${before}::timestamptz and service = any(${services}::text[]) and (ts, id) in (
        select ts, id from logs
        where ts < ${before}::timestamptz and service = any(${services}::text[]) limit ${sliceRows})`;
    removed += deleted.count;
    if (deleted.count < sliceRows) break;
  }
  const minute = iso(Math.floor(cutoff / MINUTE_MS) * MINUTE_MS);
  await sql.begin(async (tx) => {
    await tx`lock table log_minutes in share row exclusive mode`;
    await tx`delete from log_minutes where minute <= ${minute}::timestamptz and service = any(${services}::text[])`;
    await tx`
      insert into log_minutes (minute, service, level, n)
      select ${minute}::timestamptz, service, level, count(*)
      from logs
      where ts >= ${minute}::timestamptz and ts < ${minute}::timestamptz + interval '1 minute'
        and service = any(${services}::text[])
      group by 2, 3`;
  });
  return removed;
}
