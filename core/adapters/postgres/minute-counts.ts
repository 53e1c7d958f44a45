import type { Fragment, Sql } from "postgres";
import { LEVELS } from "../../level.ts";
import type { CountByKey, LogFilter } from "../../ports/log-store.ts";
import { iso } from "../log-store-common.ts";
import { filterSql } from "./filter-sql.ts";
import { type StoredRow, storable } from "./log-rows.ts";

/**
 * The per-minute rollup, `log_minutes` (minute, service, level, shard, n): how many events of a
 * service and level each UTC minute holds, added to in the transaction that stores them, so that
 * histograms, breakdowns and alert windows read whole minutes from it instead of counting `logs`.
 */

export const MINUTE_MS = 60_000;
/** The origin of UTC minutes in log_minutes. */
const EPOCH = "1970-01-01T00:00:00Z";
/** Rows one minute's count is spread over, one per connection (by backend pid), against lock waits. */
const MINUTE_SHARDS = 8;

/** The UTC minute of `ts`, as log_minutes keys it. */
export function minuteOfTs(sql: Sql): Fragment {
  return sql`date_bin('1 minute', ts, ${EPOCH}::timestamptz)`;
}

/**
 * Add counts (rows of minute, service, level, n; each key once) to log_minutes. Each connection adds to
 * its own shard of a minute's count, in key order, once per batch: writers rarely wait on each other's
 * row locks, and never in a cycle.
 */
export function addMinuteCounts(sql: Sql, counts: Fragment): Fragment {
  return sql`
    insert into log_minutes as m (minute, service, level, shard, n)
    select minute, service, level, pg_backend_pid() % ${MINUTE_SHARDS}, n from ${counts}
    order by 1, 2, 3
    on conflict (minute, service, level, shard) do update set n = m.n + excluded.n`;
}

/**
 * Counts given as JSON [{minute, service, level, n}], a key given more than once summed (one upsert may
 * touch a row only once), as a relation for addMinuteCounts.
 */
export function summedMinuteCounts(sql: Sql, counts: string): Fragment {
  return sql`
    (select minute, service, level, sum(n)::int as n
     from jsonb_to_recordset(${counts}::text::jsonb) as c(minute timestamptz, service text, level text, n int)
     group by 1, 2, 3) as c`;
}

/** The rows' counts per minute, service and level as JSON for summedMinuteCounts (times: the rows' ts). */
export function minuteCountsJson(rows: StoredRow[], times: number[]): string {
  const counts = new Map<string, { minute: string; service: string; level: string; n: number }>();
  for (let j = 0; j < rows.length; j++) {
    const r = rows[j] as StoredRow;
    const t = times[j] as number;
    const m = t - (t % MINUTE_MS); // date_bin's UTC minute: times are ≥ 0
    const key = `${m}\t${r.level}\t${r.service}`;
    const c = counts.get(key);
    if (c) c.n++;
    else counts.set(key, { minute: iso(m), service: storable(r.service), level: r.level, n: 1 });
  }
  return JSON.stringify([...counts.values()]);
}

/** The whole minutes inside [from, to]: [first, end) in epoch ms, null where that end is open. */
export interface WholeMinutes {
  first: number | null;
  end: number | null;
}

export function wholeMinutes(from: number, to: number): { first: number; end: number };
export function wholeMinutes(from: number | undefined, to: number | undefined): WholeMinutes;
export function wholeMinutes(from: number | undefined, to: number | undefined): WholeMinutes {
  return {
    first: from === undefined ? null : Math.ceil(from / MINUTE_MS) * MINUTE_MS,
    end: to === undefined ? null : Math.floor((to + 1) / MINUTE_MS) * MINUTE_MS,
  };
}

/** Whether log_minutes can answer for a filter: it knows only times, services and levels. */
export function minutesCanCount(f: LogFilter): boolean {
  return !f.text?.trim() && f.correlationId === undefined && f.traceId === undefined;
}

/**
 * A histogram's counted buckets, (bucket, n0 … n5 per level in LEVELS's order), for a filter
 * minutesCanCount takes and buckets of whole minutes: whole minutes from log_minutes, the parts of a
 * minute at either end of [from, to] from `logs`.
 */
export function minuteHistogram(
  sql: Sql,
  filter: LogFilter & { from: number; to: number },
  interval: string,
  minutes: { first: number; end: number },
): Fragment {
  const narrow = filterSql(sql, { services: filter.services, levels: filter.levels }, false);
  const perLevel = LEVELS.map((l, i) => sql`, sum(n) filter (where level = ${l}) as ${sql(`n${i}`)}`);
  return sql`
    select bucket ${perLevel}
    from (
      select date_bin(${interval}::interval, minute, timestamptz 'epoch') as bucket, level, sum(n) as n
      from log_minutes
      where minute >= ${iso(minutes.first)}::timestamptz and minute < ${iso(minutes.end)}::timestamptz and ${narrow}
      group by 1, 2
      union all
      select date_bin(${interval}::interval, ts, timestamptz 'epoch'), level, count(*)
      from logs
      where ((ts >= ${iso(filter.from)}::timestamptz and ts < ${iso(minutes.first)}::timestamptz)
          or (ts >= ${iso(minutes.end)}::timestamptz and ts <= ${iso(filter.to)}::timestamptz)) and ${narrow}
      group by 1, 2
    ) parts
    group by 1`;
}

/**
 * Counts by service or level for a filter minutesCanCount takes: whole minutes from log_minutes, and
 * from `logs` only the parts of the minutes that `from` and `to` cut (an open end has none).
 */
export async function minuteBreakdown(
  sql: Sql,
  column: Fragment,
  filter: LogFilter,
  minutes: WholeMinutes,
  limit: number | undefined,
): Promise<CountByKey[]> {
  const { first, end } = minutes;
  const narrow = filterSql(sql, { services: filter.services, levels: filter.levels }, false);
  const inside = [sql`true`];
  if (first !== null) inside.push(sql`and minute >= ${iso(first)}::timestamptz`);
  if (end !== null) inside.push(sql`and minute < ${iso(end)}::timestamptz`);
  const edges = [sql`false`];
  if (first !== null)
    edges.push(sql`or (ts >= ${iso(filter.from!)}::timestamptz and ts < ${iso(first)}::timestamptz)`);
  if (end !== null)
    edges.push(sql`or (ts >= ${iso(end)}::timestamptz and ts <= ${iso(filter.to!)}::timestamptz)`);
  const rows = await sql<{ key: string; n: number | string | bigint }[]>`
    select key, sum(n) as n
    from (
      select ${column} as key, sum(n) as n from log_minutes where ${inside} and ${narrow} group by 1
      union all
      select ${column}, count(*) from logs where (${edges}) and ${narrow} group by 1
    ) parts
    group by 1
    having sum(n) > 0
    order by 2 desc, key collate "C"
    limit ${limit === undefined ? null : Math.max(0, Math.trunc(limit))}`;
  return rows.map((r) => ({ key: r.key, count: Number(r.n) }));
}
