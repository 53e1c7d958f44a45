import type { Fragment, Sql } from "postgres";
import { decodeCursor, encodeCursor } from "../../cursor.ts";
import { isUuid, timeOfId } from "../../ids.ts";
import { LEVELS } from "../../level.ts";
import { eventTimeOf, formatEventTime, type LogEvent } from "../../log-event.ts";
import {
  type CountByKey,
  type GroupedQuery,
  type GroupedValue,
  type HistogramBucket,
  histogramSpan,
  type LogFilter,
  type LogStore,
  type PatternCounts,
  type SearchPage,
  type SearchQuery,
  type StoreHealth,
  type StoreStats,
  type WriteResult,
} from "../../ports/log-store.ts";
import type { AggregateResult, AggregateSpec } from "../../query/aggregate.ts";
import { clampLimit, emptyLevels, iso, withinMs } from "../log-store-common.ts";
import { aggregate } from "./aggregate.ts";
import { countMany } from "./alert-counts.ts";
import { filteredLogs, scanTextFirst } from "./filter-sql.ts";
import { groupMany } from "./group-many.ts";
import { type LogRow, logColumns, toEvent } from "./log-rows.ts";
import { LogWriter } from "./log-writer.ts";
import { deleteOlderThan, deleteServicesOlderThan, fillSearchWords, recountMinutes } from "./maintenance.ts";
import { MinuteCache } from "./minute-cache.ts";
import {
  MINUTE_MS,
  minuteBreakdown,
  minuteHistogram,
  minutesCanCount,
  wholeMinutes,
} from "./minute-counts.ts";
import { LogPartitions } from "./partitions.ts";

/** A count(*) as postgres.js reads it: a bigint arrives as a string. */
type CountRow = { n: number | string | bigint };

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
   * Most bytes (an estimate) the alert tick's cache of matching events by minute may hold
   * (minute-cache.ts): what lets a tick read only new or changed minutes of its windows. 0 turns it
   * off: every tick reads its windows. Default 256 MiB (a day of 1M events is ~12 MB a grouping of
   * one attribute; its cells, ~0.1–0.3 M a day, count 160 bytes each).
   */
  alertCacheBytes?: number;
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
   * Rows retention deletes per transaction from the day its cutoff falls in (whole older days are
   * dropped). Short transactions keep the live tail, which reads below the oldest transaction still
   * running, from waiting for a long delete. Default 10,000.
   */
  retentionSliceRows?: number;
  /**
   * Most characters of JSON one statement may carry: a slice above it is split row by row (a row
   * longer than that goes alone; jsonb holds at most 256 MB). Default 32 MiB.
   */
  maxStatementChars?: number;
}

/**
 * The options for PGlite: statements of up to 1 MiB of JSON (few per batch: 64 KiB statements cost a
 * tenth more CPU per event there), and no COPY (see copyFromRows). The bound is for memory: PGlite's
 * WebAssembly heap grows to the biggest statement it was given (the JSON text, its jsonb, the rows) and
 * never shrinks, so one 30 MB statement would keep the process hundreds of MB bigger for good; and for
 * the API's event loop, which the driver holds while it copies a statement's message (4 MiB: tens of ms).
 */
export const EMBEDDED_STORE_OPTIONS: PostgresLogStoreOptions = {
  statementChars: 1024 * 1024,
  maxStatementChars: 1024 * 1024,
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
 *
 * This class reads; its other jobs sit beside it: the write path (insert and COPY) in log-writer.ts, the
 * per-minute counts in minute-counts.ts, an alert tick's counts in alert-counts.ts, the filter's SQL in
 * filter-sql.ts, retention and repairs in maintenance.ts.
 */
export class PostgresLogStore implements LogStore {
  private readonly partitions: LogPartitions;
  private readonly writer: LogWriter;
  private readonly exactStatsBelow: number;
  private readonly healthTimeoutMs: number;
  private readonly maxHistogramBuckets: number;
  private readonly textScanBelowRows: number;
  private readonly countParallelism: number;
  private readonly minuteCache: MinuteCache | undefined;
  private readonly retentionSliceRows: number;

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
    const cacheBytes = opts.alertCacheBytes ?? 256 * 1024 * 1024;
    this.minuteCache = cacheBytes > 0 ? new MinuteCache(cacheBytes) : undefined;
    this.retentionSliceRows = Math.max(1, Math.trunc(opts.retentionSliceRows ?? 10_000));
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
    const scanText = await scanTextFirst(sql, query, this.textScanBelowRows);
    const seek = after
      ? // As text: a parameter the driver types timestamptz goes through a JS Date, which cuts the µs.
        [sql`and (ts, id) < (${formatEventTime(after.ts)}::text::timestamptz, ${after.id}::uuid)`]
      : [];
    // Page and total are independent queries: on a pool they run at the same time.
    const [rows, counted] = await Promise.all([
      sql<LogRow[]>`
        select ${logColumns(sql)}
        from ${filteredLogs(sql, query, scanText, seek)}
        order by ts desc, id desc
        limit ${limit + 1}`,
      query.withTotal === false
        ? null
        : sql<CountRow[]>`select count(*) as n from ${filteredLogs(sql, query, scanText)}`,
    ]);
    // One row more than the page tells whether an older page exists without a second query.
    const more = rows.length > limit;
    const logs = rows.slice(0, limit).map(toEvent);
    const last = logs[logs.length - 1];
    return {
      total: counted ? Number(counted[0]?.n ?? 0) : rows.length,
      logs,
      nextCursor: more && last ? encodeCursor({ ts: eventTimeOf(last.timestamp), id: last.id }) : null,
    };
  }

  async get(id: string): Promise<LogEvent | null> {
    if (!isUuid(id)) return null;
    const t = timeOfId(id);
    if (t !== null) {
      // A UUIDv7's time field is the event's millisecond: its microseconds fall within it, a range
      // that prunes to one partition and a few index entries.
      const [row] = await this.sql<LogRow[]>`
        select ${logColumns(this.sql)} from logs
        where ts >= ${iso(t)}::timestamptz and ts < ${iso(t + 1)}::timestamptz and id = ${id}::uuid`;
      if (row) return toEvent(row);
    }
    // Other UUIDs, and v7 ids not minted from their event's time, are found by id in every partition.
    const [row] = await this.sql<LogRow[]>`
      select ${logColumns(this.sql)} from logs where id = ${id}::uuid limit 1`;
    return row ? toEvent(row) : null;
  }

  async recent(limit: number): Promise<LogEvent[]> {
    const rows = await this.sql<LogRow[]>`
      select ${logColumns(this.sql)} from logs order by ts desc, id desc limit ${clampLimit(limit)}`;
    return rows.map(toEvent);
  }

  async count(filter: LogFilter): Promise<number> {
    const sql = this.sql;
    const scanText = await scanTextFirst(sql, filter, this.textScanBelowRows);
    const [row] = await sql<CountRow[]>`
      select count(*) as n from ${filteredLogs(sql, filter, scanText)}`;
    return Number(row?.n ?? 0);
  }

  /** Bytes the alert tick's minute cache holds (its own estimate, the one its bound applies to). */
  alertCacheSize(): number {
    return this.minuteCache?.size ?? 0;
  }

  /** An alert tick's counts in a few statements (alert-counts.ts). */
  countMany(filters: LogFilter[]): Promise<number[]> {
    return countMany(this.sql, filters, this.countParallelism, this.minuteCache);
  }

  /** Grouped alert rules' values (group-many.ts), over the same connections as countMany. */
  groupMany(queries: GroupedQuery[], maxGroups: number): Promise<GroupedValue[][]> {
    return groupMany(this.sql, queries, maxGroups, this.countParallelism, this.minuteCache);
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
    // Whole minutes from the per-minute counts where they can answer and buckets are whole minutes.
    const minutes = wholeMinutes(filter.from, filter.to);
    let counted: Fragment;
    if (intervalMs % MINUTE_MS === 0 && minutes.first < minutes.end && minutesCanCount(filter)) {
      counted = minuteHistogram(sql, filter, interval, minutes);
    } else {
      // One group per bucket with a filtered count per level (measured ~20% faster than grouping by
      // bucket and level).
      const scanText = await scanTextFirst(sql, filter, this.textScanBelowRows);
      const perLevel = LEVELS.map((l, i) => sql`, count(*) filter (where level = ${l}) as ${sql(`n${i}`)}`);
      counted = sql`
        select date_bin(${interval}::interval, ts, timestamptz 'epoch') as bucket ${perLevel}
        from ${filteredLogs(sql, filter, scanText)}
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
    const column = by === "service" ? this.sql`service` : this.sql`level`;
    const minutes = wholeMinutes(filter.from, filter.to);
    const noWholeMinute = minutes.first !== null && minutes.end !== null && minutes.first >= minutes.end;
    if (!minutesCanCount(filter) || noWholeMinute) return this.countBy(column, filter, limit);
    return minuteBreakdown(this.sql, column, filter, minutes, limit);
  }

  async aggregate(
    filter: LogFilter & { from: number; to: number },
    spec: AggregateSpec,
  ): Promise<AggregateResult> {
    const scanText = await scanTextFirst(this.sql, filter, this.textScanBelowRows);
    return aggregate(this.sql, filter, spec, scanText, this.maxHistogramBuckets);
  }

  async topMessages(filter: LogFilter, limit: number): Promise<CountByKey[]> {
    return this.countBy(this.sql`message`, filter, limit);
  }

  /**
   * Three statements: counts per pattern (the null pattern among them: events from before patterns),
   * then, for the largest `limit` only, counts per bucket and the newest event of each, through the
   * (pattern, ts) index.
   */
  async patternCounts(
    filter: LogFilter & { from: number; to: number },
    intervalMs: number,
    limit: number,
  ): Promise<PatternCounts> {
    const span = histogramSpan(filter, intervalMs, this.maxHistogramBuckets);
    if (!span) return { total: 0, withoutPattern: 0, patterns: [] };
    const sql = this.sql;
    const scanText = await scanTextFirst(sql, filter, this.textScanBelowRows);
    const counted = await sql<{ pattern: string | null; n: number | string }[]>`
      select pattern, count(*) as n from ${filteredLogs(sql, filter, scanText)} group by 1`;
    let total = 0;
    let withoutPattern = 0;
    const all: { id: string; count: number }[] = [];
    for (const r of counted) {
      const n = Number(r.n);
      total += n;
      if (r.pattern === null) withoutPattern += n;
      else all.push({ id: r.pattern, count: n });
    }
    all.sort((a, b) => b.count - a.count || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const top = all.slice(0, Math.max(0, Math.trunc(limit)));
    if (top.length === 0) return { total, withoutPattern, patterns: [] };
    const ids = top.map((p) => p.id);
    const only = [sql`and pattern = any(${ids}::text[])`];
    const interval = `${intervalMs} milliseconds`;
    const [perBucket, samples] = await Promise.all([
      sql<{ pattern: string; start: number; n: number | string }[]>`
        select pattern, (extract(epoch from date_bin(${interval}::interval, ts, timestamptz 'epoch')) * 1000)::float8
                 as start, count(*) as n
        from ${filteredLogs(sql, filter, scanText, only)}
        group by 1, 2`,
      sql<LogRow[]>`
        select distinct on (pattern) ${logColumns(sql)}
        from ${filteredLogs(sql, filter, scanText, only)}
        order by pattern, ts desc, id desc`,
    ]);
    const byId = new Map(
      top.map((p) => [
        p.id,
        { ...p, buckets: new Array<number>(span.buckets).fill(0), sample: null as LogEvent | null },
      ]),
    );
    for (const r of perBucket) {
      const p = byId.get(r.pattern);
      const i = Math.round((Math.round(Number(r.start)) - span.first) / intervalMs);
      if (p && i >= 0 && i < span.buckets) p.buckets[i]! += Number(r.n);
    }
    for (const r of samples) {
      const p = r.pattern ? byId.get(r.pattern) : undefined;
      if (p) p.sample = toEvent(r);
    }
    return { total, withoutPattern, patterns: [...byId.values()] };
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
      const [row] = await this.sql<CountRow[]>`select count(*) as n from logs`;
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

  /** Count the per-minute counts again from `logs`, from `from` on (after a rolling upgrade). */
  recountMinutes(from?: number): Promise<{ minutes: number; events: number }> {
    return recountMinutes(this.sql, from);
  }

  /** Give search words to events an older process stored without them; answers how many. */
  fillSearchWords(from?: number): Promise<number> {
    return fillSearchWords(this.sql, from);
  }

  deleteOlderThan(cutoff: number): Promise<number> {
    return deleteOlderThan(this.sql, this.partitions, cutoff, this.retentionSliceRows);
  }

  deleteServicesOlderThan(services: string[], cutoff: number): Promise<number> {
    return deleteServicesOlderThan(this.sql, services, cutoff, this.retentionSliceRows);
  }

  private async countBy(column: Fragment, filter: LogFilter, limit?: number): Promise<CountByKey[]> {
    const sql = this.sql;
    const scanText = await scanTextFirst(sql, filter, this.textScanBelowRows);
    // Ties in a fixed, collation-independent order, so that results do not depend on the server's locale.
    const rows = await sql<{ key: string; n: number | string | bigint }[]>`
      select ${column} as key, count(*) as n
      from ${filteredLogs(sql, filter, scanText)}
      group by 1
      order by 2 desc, ${column} collate "C"
      limit ${limit === undefined ? null : Math.max(0, Math.trunc(limit))}`;
    return rows.map((r) => ({ key: r.key, count: Number(r.n) }));
  }
}
