import type { Fragment, Sql } from "postgres";
import { isUuid, timeOfId } from "../../ids.ts";
import { LEVELS } from "../../level.ts";
import type { LogEvent } from "../../log-event.ts";
import {
  type CountByKey,
  type HistogramBucket,
  histogramSpan,
  type LogFilter,
  type LogStore,
  type SearchPage,
  type SearchQuery,
  type StoreHealth,
  type StoreStats,
  type WriteResult,
} from "../../ports/log-store.ts";
import { clampLimit, emptyLevels, iso, withinMs } from "../log-store-common.ts";
import { countMany } from "./alert-counts.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";
import { filteredLogs, filterSql, scanTextFirst } from "./filter-sql.ts";
import { type LogRow, toEvent } from "./log-rows.ts";
import { LogWriter } from "./log-writer.ts";
import { MINUTE_MS, minuteOfTs } from "./minute-counts.ts";
import { LogPartitions } from "./partitions.ts";

/** Options of the Postgres log store. */
export interface PostgresLogStoreOptions {
  /**
   * `stats().events` is an exact count(*) while the planner's estimate (pg_class.reltuples summed over
   * the partitions, as fresh as the last (auto)analyze) is below this, and that estimate above it: an
   * exact count takes ~200 ms per million rows and the dashboard asks often. Default 100,000.
   */
  exactStatsBelow?: number;
  /** How long `health()` waits for `select 1` before answering unhealthy, in ms. Default 2000. */
  healthTimeoutMs?: number;
  /** Most buckets one histogram may have; more is a RangeError (a caller's bug). Default 10,000. */
  maxHistogramBuckets?: number;
  /**
   * A text search whose other conditions select at most this many rows (planner estimate) checks the
   * text on those rows rather than through the full-text index. Default 10,000 (~10 ms of matching).
   */
  textScanBelowRows?: number;
  /**
   * countMany splits its grouped work into this many statements run side by side (the pool's
   * connections; on PGlite they simply queue). Default 4.
   */
  countParallelism?: number;
  /**
   * About how many characters of JSON one insert statement carries; a bigger batch is written in
   * several statements, pipelined in one transaction. Postgres then allocates every buffer of a
   * statement (the JSON text, its jsonb, the rows it returns) below glibc's mmap threshold (128 KiB to
   * start), from memory it reuses: above it each buffer is a fresh mapping whose every page faults
   * in, which cost a fifth of Postgres's CPU per event at 5,000 rows per statement. Default 64 KiB.
   * PGlite's memory is its WebAssembly heap, never handed back: there each statement only costs, and
   * EMBEDDED_STORE_OPTIONS writes a batch in one.
   */
  statementChars?: number;
  /**
   * Batches of at least this many rows are written with `COPY logs FROM STDIN` and their per-minute
   * counts worked out here: a third less Postgres CPU per event than the insert, which has Postgres
   * parse every row as JSON and check each for a conflict. COPY cannot skip a row that is already
   * stored, so a batch it refuses for one (a replay) is written again with the insert, which does.
   * Default 100. PGlite takes no COPY over its socket: EMBEDDED_STORE_OPTIONS never uses it.
   */
  copyFromRows?: number;
  /**
   * Most characters of JSON one statement may carry: a slice above it is split row by row (a row
   * longer than that goes alone; jsonb holds at most 256 MB). Default 32 MiB.
   */
  maxStatementChars?: number;
}

/**
 * The options for PGlite: one statement per batch (see statementChars: a tenth less CPU per event than
 * 64 KiB statements there), and no COPY (see copyFromRows).
 */
export const EMBEDDED_STORE_OPTIONS: PostgresLogStoreOptions = {
  statementChars: Number.POSITIVE_INFINITY,
  copyFromRows: Number.POSITIVE_INFINITY,
};

/**
 * The log store on Postgres: one table `logs`, range-partitioned by UTC day (db/migrations/0001_init.sql).
 * The same SQL runs on Postgres 15+ and on PGlite, reached through postgres.js in both cases.
 *
 * Text search is Postgres full-text search over service and message, with words made by
 * core/search-text.ts on both sides (no stemming, no stop words): the writer stores each event's tsvector,
 * and search-box text (websearch_to_tsquery's syntax) becomes a tsquery whose words are always quoted
 * lexemes, sent as a bound parameter, so nothing a user types is ever read as SQL or as an operator.
 */
export class PostgresLogStore implements LogStore {
  private readonly partitions: LogPartitions;
  private readonly writer: LogWriter;
  private readonly exactStatsBelow: number;
  private readonly healthTimeoutMs: number;
  private readonly maxHistogramBuckets: number;
  private readonly textScanBelowRows: number;
  private readonly countParallelism: number;

  constructor(
    private readonly sql: Sql,
    opts: PostgresLogStoreOptions = {},
  ) {
    this.partitions = new LogPartitions(sql);
    this.exactStatsBelow = opts.exactStatsBelow ?? 100_000;
    this.healthTimeoutMs = opts.healthTimeoutMs ?? 2000;
    this.maxHistogramBuckets = opts.maxHistogramBuckets ?? 10_000;
    this.textScanBelowRows = opts.textScanBelowRows ?? 10_000;
    this.countParallelism = Math.max(1, Math.trunc(opts.countParallelism ?? 4));
    this.writer = new LogWriter(sql, this.partitions, {
      maxStatementChars: opts.maxStatementChars ?? 32 * 1024 * 1024,
      statementChars: Math.max(1, opts.statementChars ?? 64 * 1024),
      copyFromRows: Math.max(1, opts.copyFromRows ?? 100),
    });
  }

  write(events: LogEvent[]): Promise<WriteResult> {
    return this.writer.write(events);
  }

  async search(query: SearchQuery): Promise<SearchPage> {
    const limit = clampLimit(query.limit);
    const after = query.cursor ? decodeCursor(query.cursor) : null;
    const sql = this.sql;
    const scanText = await scanTextFirst(this.sql, query, this.textScanBelowRows);
    const seek = after ? [sql`and (ts, id) < (${iso(after.ts)}::timestamptz, ${after.id}::uuid)`] : [];
    // Page and total are independent queries: on a pool they run at the same time.
    const [rows, counted] = await Promise.all([
      sql<LogRow[]>`
        select id, ts, received_at, service, level, message, host, correlation_id, request_id, trace_id,
               span_id, attributes
        from ${filteredLogs(this.sql, query, scanText, seek)}
        order by ts desc, id desc
        limit ${limit + 1}`,
      query.withTotal === false
        ? null
        : sql<
            { n: number | string | bigint }[]
          >`select count(*) as n from ${filteredLogs(this.sql, query, scanText)}`,
    ]);
    // One row more than the page tells whether an older page exists without a second query.
    const more = rows.length > limit;
    const logs = rows.slice(0, limit).map(toEvent);
    const last = logs[logs.length - 1];
    return {
      total: counted ? Number(counted[0]?.n ?? 0) : rows.length,
      logs,
      nextCursor: more && last ? encodeCursor({ ts: Date.parse(last.timestamp), id: last.id }) : null,
    };
  }

  async get(id: string): Promise<LogEvent | null> {
    if (!isUuid(id)) return null;
    const t = timeOfId(id);
    if (t !== null) {
      // A UUIDv7's time field is the event's millisecond: equality on ts prunes to one partition and
      // one index entry.
      const [row] = await this.sql<LogRow[]>`
        select id, ts, received_at, service, level, message, host, correlation_id, request_id, trace_id,
               span_id, attributes
        from logs where ts = ${iso(t)}::timestamptz and id = ${id}::uuid`;
      if (row) return toEvent(row);
    }
    // Other UUIDs, and v7 ids not minted from their event's time, are found by id in every partition.
    const [row] = await this.sql<LogRow[]>`
      select id, ts, received_at, service, level, message, host, correlation_id, request_id, trace_id,
             span_id, attributes
      from logs where id = ${id}::uuid limit 1`;
    return row ? toEvent(row) : null;
  }

  async recent(limit: number): Promise<LogEvent[]> {
    const rows = await this.sql<LogRow[]>`
      select id, ts, received_at, service, level, message, host, correlation_id, request_id, trace_id,
             span_id, attributes
      from logs order by ts desc, id desc limit ${clampLimit(limit)}`;
    return rows.map(toEvent);
  }

  async count(filter: LogFilter): Promise<number> {
    const scanText = await scanTextFirst(this.sql, filter, this.textScanBelowRows);
    const [row] = await this.sql<{ n: number | string | bigint }[]>`
      select count(*) as n from ${filteredLogs(this.sql, filter, scanText)}`;
    return Number(row?.n ?? 0);
  }

  /** An alert tick's counts in a few statements (alert-counts.ts). */
  countMany(filters: LogFilter[]): Promise<number[]> {
    return countMany(this.sql, filters, this.countParallelism);
  }

  async histogram(
    filter: LogFilter & { from: number; to: number },
    intervalMs: number,
  ): Promise<HistogramBucket[]> {
    const span = histogramSpan(filter, intervalMs, this.maxHistogramBuckets);
    if (!span) return [];
    const { first } = span;
    const sql = this.sql;
    const interval = `${intervalMs} milliseconds`;
    // Whole minutes inside [from, to], when the filter is only services and levels and buckets are whole
    // minutes: from the per-minute counts. The part of a minute at either end comes from `logs`.
    const lo = Math.ceil(filter.from / MINUTE_MS) * MINUTE_MS;
    const hi = Math.floor((filter.to + 1) / MINUTE_MS) * MINUTE_MS;
    const fromMinutes =
      intervalMs % MINUTE_MS === 0 &&
      lo < hi &&
      !filter.text?.trim() &&
      filter.correlationId === undefined &&
      filter.traceId === undefined;
    let counted: Fragment;
    if (fromMinutes) {
      const narrow = filterSql(sql, { services: filter.services, levels: filter.levels }, false);
      const perLevel = LEVELS.map((l, i) => sql`, sum(n) filter (where level = ${l}) as ${sql(`n${i}`)}`);
      counted = sql`
        select bucket ${perLevel}
        from (
          select date_bin(${interval}::interval, minute, timestamptz 'epoch') as bucket, level, sum(n) as n
          from log_minutes
          where minute >= ${iso(lo)}::timestamptz and minute < ${iso(hi)}::timestamptz and ${narrow}
          group by 1, 2
          union all
          select date_bin(${interval}::interval, ts, timestamptz 'epoch'), level, count(*)
          from logs
          where ((ts >= ${iso(filter.from)}::timestamptz and ts < ${iso(lo)}::timestamptz)
              or (ts >= ${iso(hi)}::timestamptz and ts <= ${iso(filter.to)}::timestamptz)) and ${narrow}
          group by 1, 2
        ) parts
        group by 1`;
    } else {
      // One group per bucket with a filtered count per level (measured ~20% faster than grouping by
      // bucket and level).
      const scanText = await scanTextFirst(this.sql, filter, this.textScanBelowRows);
      const perLevel = LEVELS.map((l, i) => sql`, count(*) filter (where level = ${l}) as ${sql(`n${i}`)}`);
      counted = sql`
        select date_bin(${interval}::interval, ts, timestamptz 'epoch') as bucket ${perLevel}
        from ${filteredLogs(this.sql, filter, scanText)}
        group by 1`;
    }
    // Buckets are aligned to multiples of the interval since the epoch (date_bin's origin), so the same
    // interval always gives the same edges; generate_series supplies the empty ones.
    const rows = await sql<Record<string, number | string | bigint | null>[]>`
      with counted as (${counted})
      select (extract(epoch from g.bucket) * 1000)::float8 as start, c.*
      from generate_series(${iso(first)}::timestamptz, ${iso(filter.to)}::timestamptz, ${interval}::interval)
        as g(bucket)
      left join counted c on c.bucket = g.bucket
      order by 1`;
    return rows.map((r) => {
      const levels = emptyLevels();
      let count = 0;
      LEVELS.forEach((l, i) => {
        levels[l] = Number(r[`n${i}`] ?? 0);
        count += levels[l];
      });
      return { start: Math.round(Number(r.start)), count, levels };
    });
  }

  async breakdown(filter: LogFilter, by: "service" | "level", limit?: number): Promise<CountByKey[]> {
    const sql = this.sql;
    const column = by === "service" ? sql`service` : sql`level`;
    if (filter.text?.trim() || filter.correlationId !== undefined || filter.traceId !== undefined) {
      return this.countBy(column, filter, limit);
    }
    // Services and levels only: whole minutes from the per-minute counts, and from `logs` only the parts
    // of the minutes that `from` and `to` cut (an open end has none).
    const lo = filter.from === undefined ? null : Math.ceil(filter.from / MINUTE_MS) * MINUTE_MS;
    const hi = filter.to === undefined ? null : Math.floor((filter.to + 1) / MINUTE_MS) * MINUTE_MS;
    if (lo !== null && hi !== null && lo >= hi) return this.countBy(column, filter, limit);
    const narrow = filterSql(sql, { services: filter.services, levels: filter.levels }, false);
    const minutes = [sql`true`];
    if (lo !== null) minutes.push(sql`and minute >= ${iso(lo)}::timestamptz`);
    if (hi !== null) minutes.push(sql`and minute < ${iso(hi)}::timestamptz`);
    const edges = [sql`false`];
    if (lo !== null)
      edges.push(sql`or (ts >= ${iso(filter.from!)}::timestamptz and ts < ${iso(lo)}::timestamptz)`);
    if (hi !== null)
      edges.push(sql`or (ts >= ${iso(hi)}::timestamptz and ts <= ${iso(filter.to!)}::timestamptz)`);
    const rows = await sql<{ key: string; n: number | string | bigint }[]>`
      select key, sum(n) as n
      from (
        select ${column} as key, sum(n) as n from log_minutes where ${minutes} and ${narrow} group by 1
        union all
        select ${column}, count(*) from logs where (${edges}) and ${narrow} group by 1
      ) parts
      group by 1
      having sum(n) > 0
      order by 2 desc, key collate "C"
      limit ${limit === undefined ? null : Math.max(0, Math.trunc(limit))}`;
    return rows.map((r) => ({ key: r.key, count: Number(r.n) }));
  }

  async topMessages(filter: LogFilter, limit: number): Promise<CountByKey[]> {
    return this.countBy(this.sql`message`, filter, limit);
  }

  async stats(): Promise<StoreStats> {
    const [[parts], [range]] = await Promise.all([
      this.sql<{ estimate: number | string; bytes: number | string | bigint | null }[]>`
        select coalesce(sum(greatest(c.reltuples, 0)), 0)::float8 as estimate,
               coalesce(sum(pg_total_relation_size(c.oid)), 0)::float8 as bytes
        from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = 'logs'::regclass`,
      // min/max over the (ts, id) primary key: each is one index probe per partition, not a scan.
      this.sql<{ oldest: Date | null; newest: Date | null }[]>`
        select min(ts) as oldest, max(ts) as newest from logs`,
    ]);
    const estimate = Number(parts?.estimate ?? 0);
    let events = Math.round(estimate);
    if (estimate < this.exactStatsBelow) {
      const [row] = await this.sql<{ n: number | string | bigint }[]>`select count(*) as n from logs`;
      events = Number(row?.n ?? 0);
    }
    return {
      events,
      bytes: Number(parts?.bytes ?? 0),
      oldest: range?.oldest ? new Date(range.oldest).getTime() : null,
      newest: range?.newest ? new Date(range.newest).getTime() : null,
    };
  }

  async health(): Promise<StoreHealth> {
    try {
      await withinMs(this.sql`select 1`, this.healthTimeoutMs);
      return { status: "healthy", detail: "healthy" };
    } catch (err) {
      return { status: "unhealthy", detail: err instanceof Error ? err.message : String(err) };
    }
  }

  /**
   * Count log_minutes again from `logs` for the minutes at or after `from` (every minute without it).
   * For what the insert could not keep: rows written by a process running code from before
   * migration 3 (a rolling deploy), or edits made to `logs` by hand. Writers wait meanwhile.
   */
  async recountMinutes(from?: number): Promise<{ minutes: number; events: number }> {
    const since = from === undefined ? null : iso(Math.floor(from / MINUTE_MS) * MINUTE_MS);
    return this.sql.begin(async (tx) => {
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
  async fillSearchWords(from?: number): Promise<number> {
    const since = from === undefined ? this.sql`` : this.sql`and ts >= ${iso(from)}::timestamptz`;
    const done = await this.sql`
      update logs set search = logflow_search_words(service, message) where search is null ${since}`;
    return done.count;
  }

  async deleteOlderThan(cutoff: number): Promise<number> {
    const removed = await this.partitions.deleteOlderThan(cutoff);
    // The per-minute counts follow: minutes wholly before the cutoff go, and the minute the cutoff
    // falls in is counted again from what is left of it.
    const minute = iso(Math.floor(cutoff / MINUTE_MS) * MINUTE_MS);
    await this.sql.begin(async (tx) => {
      // Writers add to log_minutes inside their insert's transaction: this lock waits for the ones in
      // flight and holds new ones back for these two statements, so the recount sees every committed row
      // and no writer adds to the minute between the delete and the insert.
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

  private async countBy(column: Fragment, filter: LogFilter, limit?: number): Promise<CountByKey[]> {
    const scanText = await scanTextFirst(this.sql, filter, this.textScanBelowRows);
    // Ties in a fixed, collation-independent order, so that results do not depend on the server's locale.
    const rows = await this.sql<{ key: string; n: number | string | bigint }[]>`
      select ${column} as key, count(*) as n
      from ${filteredLogs(this.sql, filter, scanText)}
      group by 1
      order by 2 desc, ${column} collate "C"
      limit ${limit === undefined ? null : Math.max(0, Math.trunc(limit))}`;
    return rows.map((r) => ({ key: r.key, count: Number(r.n) }));
  }
}
