import type { Fragment, Sql } from "postgres";
import { iso } from "../log-store-common.ts";
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
