import type { Level } from "../level.ts";
import type { LogEvent } from "../log-event.ts";
import type { HealthStatus } from "../ops/schema.ts";
import type { AggregateResult, AggregateSpec } from "../query/aggregate.ts";
import type { Field } from "../query/ast.ts";
import type { NumericFunction } from "../query/schema.ts";

/**
 * A search cursor that cannot be read: tampered with, truncated, or from another system. The API maps
 * it to 400, since the client sent it; retrying the same request cannot succeed.
 */
export class InvalidCursorError extends Error {
  constructor(detail = "cursor is not one this server issued") {
    super(detail);
    this.name = "InvalidCursorError";
  }
}

/** Which events a read or aggregation covers. Every field narrows; an empty filter is everything. */
export interface LogFilter {
  /**
   * A query in LogFlow's query language (core/query/GRAMMAR.md): the web search box's words, "phrases",
   * `or` and `-word` over message and service, plus `field:value` terms on columns and attributes,
   * numeric ranges, existence, prefixes, groups and AND/OR/NOT. Parsed by core/query/parse.ts and
   * compiled per engine, never read as the engine's own language; text that cannot be parsed makes the
   * read throw QueryError (a 400, naming the position). Blank is no filter.
   */
  text?: string;
  services?: string[];
  levels?: Level[];
  /** Inclusive lower bound (epoch ms). */
  from?: number;
  /** Inclusive upper bound (epoch ms): events with microseconds within that millisecond are in. */
  to?: number;
  correlationId?: string;
  traceId?: string;
}

export interface SearchQuery extends LogFilter {
  /** Page size, 1–1000. */
  limit: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string;
  /**
   * Whether the caller needs the exact `total` (default true). False when only the page matters (alert
   * samples, exports): the store may skip counting, and `total` is then only a lower bound.
   */
  withTotal?: boolean;
}

export interface SearchPage {
  /** Exact number of events matching the filter (all pages); a lower bound when `withTotal` was false. */
  total: number;
  /** Newest first, to the microsecond; ties on timestamp broken by id (arrival order), descending. */
  logs: LogEvent[];
  /** Cursor for the next (older) page, or null on the last page. */
  nextCursor: string | null;
}

/** An event the store refused for a reason of its own (mapping, size, …): retrying cannot help. */
export interface RejectedEvent {
  id: string;
  /** The engine's status for this event (e.g. 400). */
  status: number;
  /** The engine's error type (e.g. document_parsing_exception). */
  type: string;
  reason: string;
}

/**
 * Some events of a write were refused for good; every other event of the batch is stored (`written`,
 * `duplicates`). Writing the same batch again is safe. The API answers 503 (nothing is acknowledged);
 * the Kafka indexer dead-letters the refused ones with the reason and goes on. The Postgres store never
 * refuses single events (a batch commits whole or not at all).
 */
export class EventsRejectedError extends Error {
  constructor(
    readonly written: number,
    readonly duplicates: number,
    readonly rejected: RejectedEvent[],
  ) {
    const first = rejected[0];
    super(
      `${rejected.length} event(s) rejected by the log store` +
        (first ? ` (first: ${first.id}: ${first.status} ${first.type}: ${first.reason})` : ""),
    );
    this.name = "EventsRejectedError";
  }
}

export interface WriteResult {
  /** Events newly stored. */
  written: number;
  /** Events already present (same id): a replay, stored once. */
  duplicates: number;
}

export interface HistogramBucket {
  /** Bucket start (epoch ms), aligned to the interval. */
  start: number;
  count: number;
  levels: Record<Level, number>;
}

/**
 * The buckets `histogram(filter, intervalMs)` answers with: the first bucket's start (a multiple of the
 * interval since the epoch) and how many; null for an empty range. A RangeError for an interval that is
 * not a positive whole number of ms, or for more than `maxBuckets` buckets (a caller's bug).
 */
export function histogramSpan(
  filter: { from: number; to: number },
  intervalMs: number,
  maxBuckets: number,
): { first: number; buckets: number } | null {
  if (!Number.isSafeInteger(intervalMs) || intervalMs <= 0) {
    throw new RangeError(`histogram interval must be a positive whole number of ms, got ${intervalMs}`);
  }
  if (filter.to < filter.from) return null;
  const first = Math.floor(filter.from / intervalMs) * intervalMs;
  const buckets = Math.floor((filter.to - first) / intervalMs) + 1;
  if (buckets > maxBuckets)
    throw new RangeError(`histogram would have ${buckets} buckets (most ${maxBuckets})`);
  return { first, buckets };
}

export interface CountByKey {
  key: string;
  count: number;
}

/** One pattern's events over a range (LogStore.patternCounts). */
export interface PatternCount {
  /** The pattern id as stored on the events. */
  id: string;
  count: number;
  /** Counts per interval, the buckets of histogramSpan for the range. */
  buckets: number[];
  /** The newest event of the pattern in the range. */
  sample: LogEvent | null;
}

export interface PatternCounts {
  /** Every event the filter matches. */
  total: number;
  /** Of which stored without a pattern id. */
  withoutPattern: number;
  /** The largest patterns, by count (ties by id), at most the limit asked. */
  patterns: PatternCount[];
}

/** One query of `groupMany`: a filter over a range, the fields to group by, and what each group gets. */
export interface GroupedQuery {
  filter: LogFilter & { from: number; to: number };
  /** Fields grouped by; [] for one group of every matching event. */
  by: Field[];
  /** The count, or a numeric function of an attribute (as core/query/aggregate.ts computes it). */
  agg: { fn: "count" } | { fn: NumericFunction; attribute: string };
}

/** A group of a GroupedQuery's answer. */
export interface GroupedValue {
  /** The `by` values in order, as text; null where the events have none. */
  group: (string | null)[];
  /** Matching events in the group. */
  count: number;
  /** The count, or the numeric function's value; null when no event of the group has a number there. */
  value: number | null;
  /**
   * When the group was last seen (epoch ms): its newest event, or for whole-minute windows ending at
   * `to` (alert windows) possibly `to` itself; never before the newest event.
   */
  latest: number;
}

export interface StoreStats {
  events: number;
  bytes: number;
  oldest: number | null;
  newest: number | null;
}

export interface StoreHealth {
  status: HealthStatus;
  /** Engine-specific word shown in /health (e.g. "healthy", or Elasticsearch's "green"). */
  detail: string;
}

/**
 * Where log events live. Implementations: Postgres (and PGlite); Elasticsearch/OpenSearch later.
 * One conformance suite (tests/log-store-conformance.ts) runs against every implementation.
 */
export interface LogStore {
  /**
   * Store events; idempotent by id. Resolves only once the events are durable. Rejects with
   * EventsRejectedError when some events were refused for good (the others are stored).
   */
  write(events: LogEvent[]): Promise<WriteResult>;
  search(query: SearchQuery): Promise<SearchPage>;
  get(id: string): Promise<LogEvent | null>;
  /** The newest events, newest first. */
  recent(limit: number): Promise<LogEvent[]>;
  count(filter: LogFilter): Promise<number>;
  /**
   * Exact counts of many filters at once, in their order: what alert evaluation asks each tick. An
   * implementation answers with a few grouped queries rather than one per filter; filters ending at the
   * same `to` over whole minutes (`to − from` a multiple of 60,000 ms, as alert windows are) are the
   * case to make cheap.
   */
  countMany(filters: LogFilter[]): Promise<number[]>;
  /**
   * Many grouped aggregations at once, in their order: what grouped alert rules ask each tick. Each
   * answer holds the groups with at least one matching event, at most `maxGroups` of them (the largest
   * by count, ties by value; on search engines grouped by columns only, the first in value order), and
   * without `by` exactly one group (count 0 when nothing matches). Values as aggregateEvents computes them.
   */
  groupMany(queries: GroupedQuery[], maxGroups: number): Promise<GroupedValue[][]>;
  /** Counts per interval over [from, to]; buckets with no events are present with zeros. */
  histogram(filter: LogFilter & { from: number; to: number }, intervalMs: number): Promise<HistogramBucket[]>;
  /** Counts per distinct value of a field, largest first. */
  breakdown(filter: LogFilter, by: "service" | "level", limit?: number): Promise<CountByKey[]>;
  /** Most frequent identical messages, largest first. */
  topMessages(filter: LogFilter, limit: number): Promise<CountByKey[]>;
  /**
   * The events of the range grouped by their pattern id: the `limit` largest patterns with their counts
   * per interval (a sparkline) and newest event. The interval as for `histogram` (a RangeError past
   * the store's most buckets).
   */
  patternCounts(
    filter: LogFilter & { from: number; to: number },
    intervalMs: number,
    limit: number,
  ): Promise<PatternCounts>;
  /**
   * Counts, distinct counts, sums, averages, extremes and percentiles over [from, to], by groups of
   * field values and by time buckets: exactly what core/query/aggregate.ts's aggregateEvents answers
   * for the matching events (percentiles and distinct counts approximate on search engines).
   */
  aggregate(filter: LogFilter & { from: number; to: number }, spec: AggregateSpec): Promise<AggregateResult>;
  stats(): Promise<StoreStats>;
  health(): Promise<StoreHealth>;
  /** Drop events older than the cutoff (epoch ms). Returns how many were removed when known. */
  deleteOlderThan(cutoff: number): Promise<number>;
  /** Drop the events of these services (exact names) older than the cutoff; per-service retention. */
  deleteServicesOlderThan(services: string[], cutoff: number): Promise<number>;
}
