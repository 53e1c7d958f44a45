import { decodeCursor, encodeCursor } from "../../cursor.ts";
import { isUuid } from "../../ids.ts";
import { LEVELS, type Level } from "../../level.ts";
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
import {
  KEYWORD_ATTRIBUTES_FIELD,
  keywordAttributes,
  NUMERIC_ATTRIBUTES_FIELD,
  numericAttributes,
  QUERY_MAPPING,
} from "../../query/search-engine.ts";
import { checkTimes, clampLimit, emptyLevels, iso, withinMs } from "../log-store-common.ts";
import { groupedBody, groupedValues, MAX_DISTINCT_VALUES, searchAggregate } from "./aggregate.ts";
import {
  type EngineRequest,
  type EngineResponse,
  ensureOk,
  READ,
  rethrowTooManyBuckets,
  type SearchEngine,
  SearchEngineError,
} from "./backend.ts";
import { type BulkDoc, type BulkOptions, BulkRejectedError, bulkCreate } from "./bulk.ts";
import { dayIndex, indexedAttributes, indexTemplate, WHOLE_ATTRIBUTES_FIELD } from "./mappings.ts";
import { filterQuery } from "./query.ts";
import { deleteOlderThan, deleteServicesOlderThan } from "./retention.ts";

/** Options of the Elasticsearch/OpenSearch log store. */
export interface SearchLogStoreOptions {
  /** Daily indices are `<prefix>-YYYY.MM.DD`; the prefix itself is their read alias. */
  indexPrefix: string;
  /**
   * Whether write() waits until its events are searchable. Default "wait_for": the API answers an ingest
   * 2xx only once the events can be found (as with Postgres); it costs up to one refresh interval of
   * latency per write, not extra refreshes. `false` (a high-throughput indexer that promises nothing
   * about visibility) returns as soon as the events are durable in the translog.
   */
  refresh?: "wait_for" | false;
  /** Index refresh interval: ingest-to-searchable delay without wait_for. Default "1s". */
  refreshInterval?: string;
  /** Primary shards of each day's index (indices made from then on). Default 1. */
  shards?: number;
  /** Engine-side time limit of one search or aggregation, ms. Default 30,000. */
  searchTimeoutMs?: number;
  /** How long `health()` waits for the cluster's answer, ms. Default 2,000. */
  healthTimeoutMs?: number;
  /** Most buckets one histogram may have; more is a RangeError (a caller's bug). Default 10,000. */
  maxHistogramBuckets?: number;
  /** Most keys one breakdown or top-messages answer may have, whatever the caller asks. Default 1,000. */
  maxTermsBuckets?: number;
  /**
   * Most distinct values of an attribute `count_distinct` counts (exactly) in one group and interval;
   * more is a 400 (aggregate.ts). Default MAX_DISTINCT_VALUES (10,000).
   */
  maxDistinctValues?: number;
  /** Bulk tuning: batch sizes, retries and backoff. */
  bulk?: Partial<Omit<BulkOptions, "refresh">>;
  /**
   * Whether the index template is known to be installed, shared by stores that outlive one another.
   * On Workers a store is built per request: without it every write would PUT the template first.
   */
  templateState?: { installed: boolean };
}

interface Hit {
  _id: string;
  _source: LogEvent;
  sort?: [number, string];
}

interface SearchResponse {
  timed_out?: boolean;
  _shards?: { failed?: number; failures?: { reason?: { type?: string; reason?: string } }[] };
  hits: { total?: { value: number; relation: string } | number; hits: Hit[] };
  aggregations?: Record<string, unknown>;
}

interface TermsAgg {
  buckets: { key: string | number; doc_count: number }[];
}

interface HistogramAgg {
  buckets: { key: number; doc_count: number; levels: TermsAgg }[];
}

/** What the store derives from attributes to index them (core/query/search-engine.ts): never read back. */
const DERIVED_FIELDS = [NUMERIC_ATTRIBUTES_FIELD, KEYWORD_ATTRIBUTES_FIELD];

/**
 * The store's order: time, then id, newest first. `numeric_type` sorts the day indices mapped before
 * `date_nanos` (whole milliseconds) together with the newer ones (to the microsecond), in nanoseconds.
 */
const NEWEST_FIRST = [
  { timestamp: { order: "desc", numeric_type: "date_nanos" } },
  { id: { order: "desc" } },
] as const;

/** Filters per _msearch request in countMany. */
const MSEARCH_CHUNK = 100;

/** A hit's event: its attributes whole where the indexed copy had to cut one (indexedAttributes). */
function eventOf(hit: Hit): LogEvent {
  const source = hit._source as LogEvent & { [WHOLE_ATTRIBUTES_FIELD]?: LogEvent["attributes"] };
  const { [WHOLE_ATTRIBUTES_FIELD]: whole, ...event } = source;
  return whole ? { ...event, attributes: whole } : source;
}

function totalOf(total: SearchResponse["hits"]["total"]): number {
  return typeof total === "number" ? total : (total?.value ?? 0);
}

/**
 * The log store on Elasticsearch 8/9 or OpenSearch 2/3: daily indices by event time, written through the
 * bulk API with the event id as `_id` (replays are 409s: stored once), searched with `bool` queries whose
 * user text goes through simple_query_string (see query.ts: never the engine's query language), paged
 * by `search_after` on (timestamp, id), aggregated with bounded aggregations, retained by deleting whole
 * day indices. Engine differences are confined to `SearchEngine` (elasticsearch.ts, opensearch.ts).
 *
 * Cursors carry only (timestamp, id): the sort is a total order, so a page never repeats nor skips an
 * event that existed when the first page was read, without a point-in-time to keep open on the engine
 * between requests of a stateless API (events written meanwhile with older timestamps may appear, as with
 * Postgres).
 */
export class SearchLogStore implements LogStore {
  private readonly prefix: string;
  private readonly alias: string;
  private readonly refresh: "wait_for" | false;
  private readonly refreshInterval: string;
  private readonly shards: number;
  private readonly searchTimeoutMs: number;
  private readonly healthTimeoutMs: number;
  private readonly maxHistogramBuckets: number;
  private readonly maxTermsBuckets: number;
  private readonly maxDistinctValues: number;
  private readonly bulkOptions: Partial<BulkOptions>;
  private template: Promise<void> | null = null;
  private readonly templateState: { installed: boolean } | undefined;

  constructor(
    private readonly engine: SearchEngine,
    opts: SearchLogStoreOptions,
  ) {
    if (!/^[a-z0-9][a-z0-9._-]{0,100}$/.test(opts.indexPrefix)) {
      throw new RangeError(`index prefix ${JSON.stringify(opts.indexPrefix)} is not a lowercase index name`);
    }
    this.prefix = opts.indexPrefix;
    this.alias = encodeURIComponent(opts.indexPrefix);
    this.refresh = opts.refresh ?? "wait_for";
    this.refreshInterval = opts.refreshInterval ?? "1s";
    this.shards = opts.shards ?? 1;
    this.searchTimeoutMs = opts.searchTimeoutMs ?? 30_000;
    this.healthTimeoutMs = opts.healthTimeoutMs ?? 2_000;
    this.maxHistogramBuckets = opts.maxHistogramBuckets ?? 10_000;
    this.maxTermsBuckets = opts.maxTermsBuckets ?? 1_000;
    this.maxDistinctValues = opts.maxDistinctValues ?? MAX_DISTINCT_VALUES;
    this.bulkOptions = { ...opts.bulk, refresh: this.refresh };
    this.templateState = opts.templateState;
  }

  /** Install (or update) the index template. write() does it once by itself; idempotent. */
  ensureTemplate(): Promise<void> {
    if (this.templateState?.installed) return Promise.resolve();
    this.template ??= (async () => {
      // The root answer first: the Elasticsearch client checks the product on a 2xx only, and a node of
      // the other product refuses the template with a 406 that names neither (the client's media type).
      ensureOk(await this.request({ method: "GET", path: "/" }), "node info");
      const res = await this.request({
        method: "PUT",
        path: `/_index_template/${this.alias}`,
        body: indexTemplate(this.prefix, this.engine.flavor, this.refreshInterval, this.shards),
      });
      ensureOk(res, "index template");
      // Indices made by an older template get the fields added since (adding a field is allowed; the
      // message analyzer cannot change, see core/query/GRAMMAR.md). Their documents are strictly mapped,
      // so without this a write of today's events would be refused. No index yet is fine.
      const added = await this.request({
        method: "PUT",
        path: `/${this.alias}/_mapping`,
        querystring: READ,
        body: {
          properties: {
            ...QUERY_MAPPING.properties,
            pattern: { type: "keyword" },
            [WHOLE_ATTRIBUTES_FIELD]: { type: "object", enabled: false },
          },
        },
      });
      if (added.status !== 404) ensureOk(added, "index mapping");
      if (this.templateState) this.templateState.installed = true;
    })().catch((err) => {
      this.template = null;
      throw err;
    });
    return this.template;
  }

  async write(events: LogEvent[]): Promise<WriteResult> {
    // Same id twice in one batch is a replay inside the batch: keep the first, count the rest.
    const docs = new Map<string, BulkDoc>();
    for (const e of events) {
      const id = e.id.toLowerCase();
      if (docs.has(id)) continue;
      const ts = eventTimeOf(e.timestamp);
      const received = Date.parse(e.received_at);
      checkTimes(e, ts, received);
      // In the form the Postgres store answers: to the microsecond when the time has them.
      const source: LogEvent = { ...e, timestamp: formatEventTime(ts), received_at: iso(received) };
      const indexed = indexedAttributes(e.attributes);
      docs.set(id, {
        index: dayIndex(this.prefix, Math.floor(ts)),
        id,
        source: {
          ...source,
          ...(indexed ? { attributes: indexed, [WHOLE_ATTRIBUTES_FIELD]: e.attributes } : {}),
          [NUMERIC_ATTRIBUTES_FIELD]: numericAttributes(e.attributes),
          [KEYWORD_ATTRIBUTES_FIELD]: keywordAttributes(e.attributes),
        },
      });
    }
    if (docs.size === 0) return { written: 0, duplicates: events.length };
    await this.ensureTemplate();
    const outcome = await bulkCreate(this.engine.transport, [...docs.values()], this.bulkOptions);
    const duplicates = events.length - docs.size + outcome.duplicates;
    if (outcome.rejected.length > 0)
      throw new BulkRejectedError(outcome.written, duplicates, outcome.rejected);
    return { written: outcome.written, duplicates };
  }

  async search(query: SearchQuery): Promise<SearchPage> {
    const limit = clampLimit(query.limit);
    const after = query.cursor ? decodeCursor(query.cursor) : null;
    const withTotal = query.withTotal !== false;
    const res = await this.searchBody({
      // One hit more than the page tells whether an older page exists without a second request.
      size: limit + 1,
      query: filterQuery(query),
      sort: NEWEST_FIRST,
      track_total_hits: withTotal,
      // The time as ISO text, to the microsecond: the engine reads a number here as milliseconds.
      ...(after ? { search_after: [formatEventTime(after.ts), after.id] } : {}),
    });
    const hits = res.hits.hits;
    const more = hits.length > limit;
    const logs = hits.slice(0, limit).map(eventOf);
    const last = logs[logs.length - 1];
    return {
      total: withTotal ? totalOf(res.hits.total) : logs.length + (more ? 1 : 0),
      logs,
      nextCursor: more && last ? encodeCursor({ ts: eventTimeOf(last.timestamp), id: last.id }) : null,
    };
  }

  async get(id: string): Promise<LogEvent | null> {
    if (!isUuid(id)) return null;
    const res = await this.searchBody({ size: 1, query: { ids: { values: [id.toLowerCase()] } } });
    const hit = res.hits.hits[0];
    return hit ? eventOf(hit) : null;
  }

  async recent(limit: number): Promise<LogEvent[]> {
    const res = await this.searchBody({
      size: clampLimit(limit),
      query: { match_all: {} },
      sort: NEWEST_FIRST,
      track_total_hits: false,
    });
    return res.hits.hits.map(eventOf);
  }

  async count(filter: LogFilter): Promise<number> {
    const res = await this.request<{ count: number; _shards?: SearchResponse["_shards"] }>({
      method: "POST",
      path: `/${this.alias}/_count`,
      querystring: READ,
      body: { query: filterQuery(filter) },
    });
    const body = ensureOk(res, "count");
    this.checkShards(body._shards, "count");
    return body.count;
  }

  /** One _msearch of exact counts (size 0, track_total_hits) per chunk of filters. */
  async countMany(filters: LogFilter[]): Promise<number[]> {
    const answers = await this.msearch(
      filters.map((f) => ({
        size: 0,
        track_total_hits: true,
        timeout: `${this.searchTimeoutMs}ms`,
        query: filterQuery(f),
      })),
      "count in msearch",
    );
    return answers.map((r) => totalOf(r.hits.total));
  }

  /** Grouped alert rules' values: one composite aggregation per query, through _msearch (aggregate.ts). */
  async groupMany(queries: GroupedQuery[], maxGroups: number): Promise<GroupedValue[][]> {
    const bodies = queries.map((q) => groupedBody(q, maxGroups, this.searchTimeoutMs));
    const answers = await this.msearch(bodies, "groups in msearch");
    return answers.map((r, i) => groupedValues(queries[i]!, r, maxGroups));
  }

  /** Searches in _msearch requests of MSEARCH_CHUNK, answers in order; any failed one fails the call. */
  private async msearch(bodies: Record<string, unknown>[], what: string): Promise<SearchResponse[]> {
    const out: SearchResponse[] = [];
    for (let i = 0; i < bodies.length; i += MSEARCH_CHUNK) {
      const bulkBody: unknown[] = [];
      for (const b of bodies.slice(i, i + MSEARCH_CHUNK)) bulkBody.push({ index: this.prefix, ...READ }, b);
      const res = await this.request<{
        responses: (SearchResponse & { status?: number; error?: unknown })[];
      }>({ method: "POST", path: "/_msearch", bulkBody });
      const body = ensureOk(res, "msearch");
      for (const r of body.responses) {
        if (r.error) ensureOk({ status: r.status ?? 500, body: r }, what);
        this.checkResponse(r, what);
        out.push(r);
      }
    }
    return out;
  }

  async histogram(
    filter: LogFilter & { from: number; to: number },
    intervalMs: number,
  ): Promise<HistogramBucket[]> {
    const span = histogramSpan(filter, intervalMs, this.maxHistogramBuckets);
    if (!span) return [];
    const { first, buckets: n } = span;
    // Fixed intervals are aligned to multiples of the interval since the epoch, like the Postgres store's
    // date_bin; only non-empty buckets come back (min_doc_count 1) and the empty ones are filled in here.
    const res = await this.bucketedSearch("", {
      size: 0,
      track_total_hits: false,
      query: filterQuery(filter),
      aggs: {
        t: {
          date_histogram: { field: "timestamp", fixed_interval: `${intervalMs}ms`, min_doc_count: 1 },
          aggs: { levels: { terms: { field: "level", size: LEVELS.length } } },
        },
      },
    });
    const buckets: HistogramBucket[] = Array.from({ length: n }, (_, i) => ({
      start: first + i * intervalMs,
      count: 0,
      levels: emptyLevels(),
    }));
    for (const b of (res.aggregations?.t as HistogramAgg | undefined)?.buckets ?? []) {
      const bucket = buckets[Math.round((b.key - first) / intervalMs)];
      if (!bucket) continue;
      for (const l of b.levels.buckets) {
        if ((LEVELS as readonly string[]).includes(String(l.key))) {
          bucket.levels[l.key as Level] += l.doc_count;
          bucket.count += l.doc_count;
        }
      }
    }
    return buckets;
  }

  /** Groups, time buckets and metrics (aggregate.ts): two or three searches. */
  aggregate(filter: LogFilter & { from: number; to: number }, spec: AggregateSpec): Promise<AggregateResult> {
    return searchAggregate(
      (body) => this.searchBody(body),
      filter,
      spec,
      this.maxHistogramBuckets,
      this.maxDistinctValues,
    );
  }

  breakdown(filter: LogFilter, by: "service" | "level", limit?: number): Promise<CountByKey[]> {
    return this.countBy(by, filter, limit);
  }

  /**
   * Most frequent identical messages, over `message.keyword`: messages longer than 8,191 characters are
   * not in that field and so not counted here (they are still stored and searchable).
   */
  topMessages(filter: LogFilter, limit: number): Promise<CountByKey[]> {
    return this.countBy("message.keyword", filter, limit);
  }

  /**
   * One request: a terms aggregation on `pattern` (the largest `limit`, exact while a day index has at
   * most shard_size of them), each with a date histogram and its newest hit; `missing` counts the
   * events stored before patterns.
   */
  async patternCounts(
    filter: LogFilter & { from: number; to: number },
    intervalMs: number,
    limit: number,
  ): Promise<PatternCounts> {
    const span = histogramSpan(filter, intervalMs, this.maxHistogramBuckets);
    const size = Math.min(this.maxTermsBuckets, Math.max(0, Math.trunc(limit)));
    if (!span) return { total: 0, withoutPattern: 0, patterns: [] };
    const res = await this.bucketedSearch(", or a smaller limit (fewer patterns)", {
      size: 0,
      track_total_hits: true,
      query: filterQuery(filter),
      aggs: {
        none: { missing: { field: "pattern" } },
        ...(size > 0
          ? {
              p: {
                terms: {
                  field: "pattern",
                  size,
                  shard_size: Math.min(this.maxTermsBuckets * 2, Math.max(100, size * 5)),
                  order: [{ _count: "desc" }, { _key: "asc" }],
                },
                aggs: {
                  t: {
                    date_histogram: {
                      field: "timestamp",
                      fixed_interval: `${intervalMs}ms`,
                      min_doc_count: 1,
                    },
                  },
                  sample: {
                    top_hits: {
                      size: 1,
                      _source: { excludes: DERIVED_FIELDS },
                      sort: NEWEST_FIRST,
                    },
                  },
                },
              },
            }
          : {}),
      },
    });
    type Bucket = {
      key: string;
      doc_count: number;
      t: { buckets: { key: number; doc_count: number }[] };
      sample: { hits: { hits: Hit[] } };
    };
    const aggs = res.aggregations as { none?: { doc_count: number }; p?: { buckets: Bucket[] } } | undefined;
    return {
      total: totalOf(res.hits.total),
      withoutPattern: aggs?.none?.doc_count ?? 0,
      patterns: (aggs?.p?.buckets ?? []).map((b) => {
        const buckets = new Array<number>(span.buckets).fill(0);
        for (const h of b.t.buckets) {
          const i = Math.round((h.key - span.first) / intervalMs);
          if (i >= 0 && i < span.buckets) buckets[i]! += h.doc_count;
        }
        return {
          id: String(b.key),
          count: b.doc_count,
          buckets,
          sample: b.sample.hits.hits[0] ? eventOf(b.sample.hits.hits[0]) : null,
        };
      }),
    };
  }

  async stats(): Promise<StoreStats> {
    const [range, store] = await Promise.all([
      this.searchBody({
        size: 0,
        track_total_hits: true,
        aggs: { oldest: { min: { field: "timestamp" } }, newest: { max: { field: "timestamp" } } },
      }),
      this.request<{ _all?: { total?: { store?: { size_in_bytes?: number } } } }>({
        method: "GET",
        path: `/${this.alias}/_stats/store`,
        querystring: READ,
      }),
    ]);
    const aggs = range.aggregations as {
      oldest?: { value: number | null };
      newest?: { value: number | null };
    };
    const bytes =
      store.status === 404 ? 0 : (ensureOk(store, "index stats")._all?.total?.store?.size_in_bytes ?? 0);
    return {
      events: totalOf(range.hits.total),
      bytes,
      oldest: aggs?.oldest?.value ?? null,
      newest: aggs?.newest?.value ?? null,
    };
  }

  /** Cluster health: green healthy, yellow degraded (a replica missing), red unhealthy; the colour as detail. */
  async health(): Promise<StoreHealth> {
    try {
      const res = await withinMs(
        this.request<{ status?: string }>({
          method: "GET",
          path: "/_cluster/health",
          timeoutMs: this.healthTimeoutMs,
        }),
        this.healthTimeoutMs,
      );
      const colour = ensureOk(res, "cluster health").status ?? "unknown";
      const status = colour === "green" ? "healthy" : colour === "yellow" ? "degraded" : "unhealthy";
      return { status, detail: colour };
    } catch (err) {
      return { status: "unhealthy", detail: err instanceof Error ? err.message : String(err) };
    }
  }

  /**
   * Retention: day indices wholly older than the cutoff are deleted; the older part of the cutoff's own
   * day goes through _delete_by_query (see retention.ts).
   */
  deleteOlderThan(cutoff: number): Promise<number> {
    return deleteOlderThan(this.engine.transport, this.prefix, cutoff);
  }

  /** Per-service retention: one _delete_by_query over the read alias (see retention.ts). */
  deleteServicesOlderThan(services: string[], cutoff: number): Promise<number> {
    return deleteServicesOlderThan(this.engine.transport, this.prefix, services, cutoff);
  }

  private async countBy(field: string, filter: LogFilter, limit?: number): Promise<CountByKey[]> {
    const size = Math.min(
      this.maxTermsBuckets,
      limit === undefined ? this.maxTermsBuckets : Math.trunc(limit),
    );
    if (size <= 0) return [];
    const res = await this.searchBody({
      size: 0,
      track_total_hits: false,
      query: filterQuery(filter),
      aggs: {
        k: {
          terms: {
            field,
            size,
            // Counts are exact while a day index has at most shard_size distinct values; ties in byte order.
            shard_size: Math.min(this.maxTermsBuckets * 2, Math.max(100, size * 5)),
            order: [{ _count: "desc" }, { _key: "asc" }],
          },
        },
      },
    });
    const agg = res.aggregations?.k as TermsAgg | undefined;
    return (agg?.buckets ?? []).map((b) => ({ key: String(b.key), count: b.doc_count }));
  }

  /**
   * A search of buckets per interval (histogram, patternCounts). Past the engine's search.max_buckets it
   * answers 503, which would tell a client to retry the same request for ever: a 400 instead, naming
   * what to narrow (both routes that ask for these call the bucket width `interval`).
   */
  private bucketedSearch(orLess: string, body: Record<string, unknown>): Promise<SearchResponse> {
    return this.searchBody(body).catch((err: unknown) =>
      rethrowTooManyBuckets(err, {
        field: "interval",
        prefix: "interval: ",
        hint: `use a longer interval or a shorter time range${orLess}`,
      }),
    );
  }

  private async searchBody(body: Record<string, unknown>): Promise<SearchResponse> {
    const res = await this.request<SearchResponse>({
      method: "POST",
      path: `/${this.alias}/_search`,
      querystring: READ,
      // The attribute pairs are the store's own index data, not part of the event.
      body: {
        timeout: `${this.searchTimeoutMs}ms`,
        _source: { excludes: DERIVED_FIELDS },
        ...body,
      },
    });
    const out = ensureOk(res, "search");
    this.checkResponse(out, "search");
    return out;
  }

  /** A partial answer (timed out, or a shard failed) would be a wrong count: fail loudly instead. */
  private checkResponse(res: SearchResponse, what: string): void {
    if (res.timed_out) {
      throw new SearchEngineError(504, "timeout", `${what} took longer than ${this.searchTimeoutMs} ms`);
    }
    this.checkShards(res._shards, what);
  }

  private checkShards(shards: SearchResponse["_shards"], what: string): void {
    if (shards?.failed) {
      const reason = shards.failures?.[0]?.reason;
      throw new SearchEngineError(
        500,
        reason?.type ?? "shard_failure",
        `${what}: ${reason?.reason ?? "a shard failed"}`,
      );
    }
  }

  private request<T>(req: EngineRequest): Promise<EngineResponse<T>> {
    return this.engine.transport<T>(req);
  }
}
