/**
 * The Elasticsearch glue without an Elasticsearch (none can run here): the official client over
 * @elastic/elasticsearch-mock, answering with the response shapes Elasticsearch documents for each API.
 * What the store does with real answers is covered by the conformance suite on OpenSearch (same code)
 * and on Elasticsearch itself when ELASTICSEARCH_URL is set (log-store.elasticsearch.test.ts).
 */
import { describe, expect, test } from "bun:test";
import { createRequire } from "node:module";
import Mock from "@elastic/elasticsearch-mock";
import { SearchEngineError } from "../core/adapters/search/backend.ts";
import { BulkRejectedError } from "../core/adapters/search/bulk.ts";
import { elasticsearchEngine } from "../core/adapters/search/elasticsearch.ts";
import { fetchEngine } from "../core/adapters/search/fetch.ts";
import { SearchLogStore } from "../core/adapters/search/log-store.ts";
import type { LogEvent } from "../core/log-event.ts";
import type { InvalidCursorError } from "../core/ports/log-store.ts";
import { logEvent } from "./helpers/events.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";

integrationTimeouts();

// The mock loads the client through require(); under Bun that is another module instance than an ESM
// import, and the mock recognises errors by class: take ResponseError from the instance it uses.
const { errors } = createRequire(import.meta.url)(
  "@elastic/elasticsearch",
) as typeof import("@elastic/elasticsearch");

const PREFIX = "logflow-logs";

/** A store on a mocked Elasticsearch; `seen` records every request, with its headers. */
function setup(options: { apiKey?: string; username?: string; password?: string; product?: boolean } = {}) {
  const mock = new Mock();
  // The root answer start-up reads before installing the template (the product check).
  mock.add({ method: "GET", path: "/" }, () => ({
    version: { number: "9.1.0" },
    tagline: "You Know, for Search",
  }));
  const seen: { method: string; path: string; headers: Record<string, string> }[] = [];
  const Base = mock.getConnection();
  class Recording extends Base {
    override async request(
      params: { method: string; path: string; headers: Record<string, string> },
      opts: unknown,
    ) {
      seen.push({ method: params.method, path: params.path, headers: { ...params.headers } });
      // biome-ignore lint/suspicious/noExplicitAny: the mock's Connection is untyped
      const res: any = await super.request(params as never, opts as never);
      if (options.product === false) delete res.headers["x-elastic-product"];
      return res;
    }
  }
  const engine = elasticsearchEngine({
    url: "http://es.test:9200",
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    ...(options.username ? { username: options.username, password: options.password ?? "" } : {}),
    Connection: Recording as never,
  });
  const store = new SearchLogStore(engine, {
    indexPrefix: PREFIX,
    bulk: { sleep: async () => {}, initialBackoffMs: 1 },
  });
  return { mock, seen, engine, store };
}

function event(ts: number, fields: Partial<LogEvent> = {}): LogEvent {
  return logEvent(ts, { service: "checkout", level: "ERROR", message: "card declined", ...fields });
}

const acknowledged = () => ({ acknowledged: true });

/** A search response as Elasticsearch documents it (`GET /<index>/_search`). */
function searchResponse(hits: LogEvent[], total = hits.length, extra: Record<string, unknown> = {}) {
  return {
    took: 3,
    timed_out: false,
    _shards: { total: 2, successful: 2, skipped: 0, failed: 0 },
    hits: {
      total: { value: total, relation: "eq" },
      max_score: null,
      hits: hits.map((e) => ({
        _index: `${PREFIX}-${e.timestamp.slice(0, 10).replaceAll("-", ".")}`,
        _id: e.id,
        _score: null,
        _source: e,
        sort: [Date.parse(e.timestamp), e.id],
      })),
    },
    ...extra,
  };
}

/** A terms aggregation's answer as the engine gives it: a bucket per key, largest first, and what the rest counted. */
function termsAgg(counts: Record<string, number>, otherCount = 0) {
  return {
    doc_count_error_upper_bound: 0,
    sum_other_doc_count: otherCount,
    buckets: Object.entries(counts).map(([key, doc_count]) => ({ key, doc_count })),
  };
}
describe("Elasticsearch client glue (mocked Elasticsearch)", () => {
  test("an API key is sent as `Authorization: ApiKey`, user and password as Basic", async () => {
    for (const [options, expected] of [
      [{ apiKey: "a2V5OnNlY3JldA==" }, "ApiKey a2V5OnNlY3JldA=="],
      [{ username: "elastic", password: "changeme" }, `Basic ${btoa("elastic:changeme")}`],
    ] as const) {
      const { mock, seen, store } = setup(options);
      mock.add({ method: "GET", path: "/_cluster/health" }, () => ({ status: "green" }));
      await store.health();
      expect(seen[0]?.headers.authorization).toBe(expected);
    }
  });

  test("a server that is not Elasticsearch fails the product check: unhealthy, and writes fail", async () => {
    const { mock, store } = setup({ product: false });
    mock.add({ method: "GET", path: "/_cluster/health" }, () => ({ status: "green" }));
    mock.add({ method: "PUT", path: "/_index_template/:name" }, acknowledged);
    const health = await store.health();
    expect(health.status).toBe("unhealthy");
    expect(health.detail).toMatch(/Elasticsearch/);
    const err = await store.write([event(Date.now())]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SearchEngineError);
    expect((err as SearchEngineError).type).toBe("product_not_supported");
  });

  test("the index template maps attributes as `flattened` and joins indices to the read alias", async () => {
    const { mock, store } = setup();
    let template: { index_patterns: string[]; template: Record<string, never> } | undefined;
    mock.add({ method: "PUT", path: `/_index_template/${PREFIX}` }, (p) => {
      template = p.body as typeof template;
      return acknowledged();
    });
    await store.ensureTemplate();
    expect(template?.index_patterns).toEqual([`${PREFIX}-*`]);
    const t = template?.template as unknown as {
      aliases: Record<string, unknown>;
      mappings: { dynamic: string; properties: Record<string, { type: string }> };
    };
    expect(t.aliases).toEqual({ [PREFIX]: {} });
    expect(t.mappings.dynamic).toBe("strict");
    expect(t.mappings.properties.attributes?.type).toBe("flattened");
    // To the nanosecond, so that events keep their microseconds (indices made before stay `date`).
    expect(t.mappings.properties.timestamp?.type).toBe("date_nanos");
    expect(t.mappings.properties.service?.type).toBe("keyword");
  });

  test("a bulk with mixed item results: created, conflict, parsing error, 429 retried until created", async () => {
    const { mock, store } = setup();
    mock.add({ method: "PUT", path: "/_index_template/:name" }, acknowledged);
    const now = Date.now() - 1000;
    const evs = [0, 1, 2, 3].map((i) => event(now - i));
    const bulkBodies: unknown[][] = [];
    mock.add({ method: "POST", path: "/_bulk" }, (p) => {
      const lines = p.body as { create?: { _index: string; _id: string } }[];
      bulkBodies.push(lines);
      const actions = lines.filter((l) => l.create).map((l) => l.create!);
      const item = (a: { _index: string; _id: string }, rest: Record<string, unknown>) => ({
        create: { _index: a._index, _id: a._id, ...rest },
      });
      const created = {
        _version: 1,
        result: "created",
        _shards: { total: 2, successful: 1, failed: 0 },
        status: 201,
      };
      if (bulkBodies.length === 1) {
        return {
          took: 30,
          errors: true,
          items: [
            item(actions[0]!, { ...created, _seq_no: 0, _primary_term: 1 }),
            item(actions[1]!, {
              status: 409,
              error: {
                type: "version_conflict_engine_exception",
                reason: `[${actions[1]!._id}]: version conflict, document already exists (current version [1])`,
                index_uuid: "aAsFqTI0Tc2W0LCWgPNrOA",
                shard: "0",
                index: actions[1]!._index,
              },
            }),
            item(actions[2]!, {
              status: 400,
              error: {
                type: "document_parsing_exception",
                reason: "[1:130] failed to parse field [timestamp] of type [date]",
                caused_by: { type: "illegal_argument_exception", reason: "failed to parse date field [x]" },
              },
            }),
            item(actions[3]!, {
              status: 429,
              error: {
                type: "es_rejected_execution_exception",
                reason: "rejected execution of coordinating operation [shard_detail=[...]]",
              },
            }),
          ],
        };
      }
      return { took: 5, errors: false, items: actions.map((a) => item(a, created)) };
    });

    const err = (await store.write(evs).catch((e: unknown) => e)) as BulkRejectedError;
    expect(err).toBeInstanceOf(BulkRejectedError);
    expect([err.written, err.duplicates]).toEqual([2, 1]);
    expect(err.rejected).toEqual([
      {
        id: evs[2]!.id,
        status: 400,
        type: "document_parsing_exception",
        reason: "[1:130] failed to parse field [timestamp] of type [date]: failed to parse date field [x]",
      },
    ]);
    // The second request carries only the item refused with 429, again as `create` with the event id.
    expect(bulkBodies[1]).toEqual([
      {
        create: {
          _index: expect.stringMatching(new RegExp(`^${PREFIX}-\\d{4}\\.\\d{2}\\.\\d{2}$`)),
          _id: evs[3]!.id,
        },
      },
      // With its numeric attributes as (key, value) pairs, which ranges read, and its attributes as
      // key\u0000value keywords, which grouping reads (core/query/search-engine.ts).
      { ...evs[3], attributes_numeric: [], attributes_keyword: [] },
    ]);
  });

  test("a whole bulk refused with 429 is retried; one still refused after every attempt fails the write", async () => {
    const { mock, store } = setup();
    mock.add({ method: "PUT", path: "/_index_template/:name" }, acknowledged);
    let calls = 0;
    const rejected = () =>
      new errors.ResponseError({
        body: {
          error: {
            root_cause: [{ type: "es_rejected_execution_exception", reason: "rejected execution" }],
            type: "es_rejected_execution_exception",
            reason: "rejected execution",
          },
          status: 429,
        },
        statusCode: 429,
        warnings: null,
        meta: {} as never,
      } as never);
    mock.add({ method: "POST", path: "/_bulk" }, (p) => {
      calls++;
      if (calls < 3) return rejected();
      const lines = p.body as { create?: { _index: string; _id: string } }[];
      return {
        took: 1,
        errors: false,
        items: lines
          .filter((l) => l.create)
          .map((l) => ({ create: { ...l.create, status: 201, result: "created" } })),
      };
    });
    expect(await store.write([event(Date.now() - 10)])).toEqual({ written: 1, duplicates: 0 });
    expect(calls).toBe(3);

    mock.clear({ method: "POST", path: "/_bulk" });
    mock.add({ method: "POST", path: "/_bulk" }, rejected);
    const err = await store.write([event(Date.now() - 20)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SearchEngineError);
    expect((err as Error).message).toMatch(/writing the batch again is safe/);
  });

  test("cluster health: green healthy, yellow degraded, red unhealthy, with the colour as detail", async () => {
    for (const [colour, status] of [
      ["green", "healthy"],
      ["yellow", "degraded"],
      ["red", "unhealthy"],
    ] as const) {
      const { mock, store } = setup();
      mock.add({ method: "GET", path: "/_cluster/health" }, () => ({
        cluster_name: "logflow",
        status: colour,
        timed_out: false,
        number_of_nodes: 3,
        number_of_data_nodes: 3,
        active_primary_shards: 10,
        active_shards: colour === "green" ? 20 : 15,
        relocating_shards: 0,
        initializing_shards: 0,
        unassigned_shards: colour === "green" ? 0 : 5,
        delayed_unassigned_shards: 0,
        number_of_pending_tasks: 0,
        number_of_in_flight_fetch: 0,
        task_max_waiting_in_queue_millis: 0,
        active_shards_percent_as_number: colour === "green" ? 100 : 75,
      }));
      expect(await store.health()).toEqual({ status, detail: colour });
    }
  });

  test("search: the request (text as simple_query_string, filters, sort, search_after) and the page", async () => {
    const { mock, store } = setup();
    const [a, b, c] = [3, 2, 1].map((i) => event(Date.now() - i * 1000));
    let last: Record<string, unknown> = {};
    mock.add({ method: "POST", path: `/${PREFIX}/_search` }, (p) => {
      last = p.body as Record<string, unknown>;
      expect(p.querystring).toEqual({ ignore_unavailable: "true", allow_no_indices: "true" });
      return searchResponse(last.search_after ? [c!] : [a!, b!], 3);
    });
    const first = await store.search({ text: 'declined -"expired card"', services: ["checkout"], limit: 1 });
    expect(first.total).toBe(3);
    expect(first.logs).toEqual([a!]);
    expect(first.nextCursor).not.toBeNull();
    expect(last).toMatchObject({
      size: 2,
      track_total_hits: true,
      sort: [{ timestamp: { order: "desc", numeric_type: "date_nanos" } }, { id: { order: "desc" } }],
      query: {
        bool: {
          filter: [
            {
              bool: {
                filter: [
                  { term: { search: "declined" } },
                  { bool: { must_not: [{ match_phrase: { search: { query: "expired card" } } }] } },
                ],
              },
            },
            { terms: { service: ["checkout"] } },
          ],
        },
      },
    });
    const second = await store.search({ services: ["checkout"], limit: 1, cursor: first.nextCursor! });
    // The time as ISO text: to the microsecond, which a number (read as ms) could not carry.
    expect(last.search_after).toEqual([a!.timestamp, a!.id]);
    expect(second).toEqual({ total: 3, logs: [c!], nextCursor: null });

    const noTotal = await store.search({ limit: 5, withTotal: false });
    expect(last.track_total_hits).toBe(false);
    expect(noTotal.total).toBe(2);

    const bad = await store.search({ limit: 1, cursor: "not-ours" }).catch((e: unknown) => e);
    expect((bad as InvalidCursorError).name).toBe("InvalidCursorError");
  });

  test("a search that timed out or lost a shard is an error, never a silently partial answer", async () => {
    const { mock, store } = setup();
    mock.add({ method: "POST", path: `/${PREFIX}/_search` }, () =>
      searchResponse([], 0, { timed_out: true }),
    );
    await expect(store.search({ limit: 10 })).rejects.toThrow(/took longer than/);
    mock.clearAll();
    mock.add({ method: "POST", path: `/${PREFIX}/_search` }, () =>
      searchResponse([], 0, {
        _shards: {
          total: 2,
          successful: 1,
          skipped: 0,
          failed: 1,
          failures: [
            { shard: 0, index: "x", reason: { type: "circuit_breaking_exception", reason: "too big" } },
          ],
        },
      }),
    );
    await expect(store.breakdown({}, "service")).rejects.toThrow(/too big/);
  });

  test("aggregation responses: date_histogram with level terms, terms breakdown, msearch counts", async () => {
    const { mock, store } = setup();
    const t0 = Date.UTC(2026, 10, 27, 10, 0);
    let aggs: Record<string, { terms?: { size: number; order: unknown } }> = {};
    mock.add({ method: "POST", path: `/${PREFIX}/_search` }, (p) => {
      aggs = (p.body as { aggs: typeof aggs }).aggs;
      if ("t" in aggs) {
        return searchResponse([], 0, {
          aggregations: {
            t: {
              buckets: [
                {
                  key_as_string: new Date(t0).toISOString(),
                  key: t0,
                  doc_count: 3,
                  levels: termsAgg({ ERROR: 2, INFO: 1 }),
                },
                {
                  key_as_string: new Date(t0 + 120_000).toISOString(),
                  key: t0 + 120_000,
                  doc_count: 1,
                  levels: termsAgg({ WARNING: 1 }),
                },
              ],
            },
          },
        });
      }
      return searchResponse([], 0, {
        aggregations: {
          k: termsAgg({ checkout: 9, auth: 5 }, 4),
        },
      });
    });
    const buckets = await store.histogram({ from: t0, to: t0 + 179_999 }, 60_000);
    expect(buckets.map((b) => [b.start, b.count])).toEqual([
      [t0, 3],
      [t0 + 60_000, 0],
      [t0 + 120_000, 1],
    ]);
    expect(buckets[0]?.levels).toEqual({ DEBUG: 0, INFO: 1, WARNING: 0, ERROR: 2, CRITICAL: 0 });

    expect(await store.breakdown({}, "service", 2)).toEqual([
      { key: "checkout", count: 9 },
      { key: "auth", count: 5 },
    ]);
    expect(aggs.k?.terms).toMatchObject({ size: 2, order: [{ _count: "desc" }, { _key: "asc" }] });
    // Without a limit the number of buckets is still bounded.
    await store.topMessages({}, 1_000_000);
    expect(aggs.k?.terms?.size).toBe(1000);

    mock.add({ method: "POST", path: "/_msearch" }, (p) => {
      const lines = p.body as unknown[];
      expect(lines[0]).toEqual({ index: PREFIX, ignore_unavailable: true, allow_no_indices: true });
      return {
        took: 4,
        responses: [
          { ...searchResponse([], 7), status: 200 },
          { ...searchResponse([], 0), status: 200 },
        ],
      };
    });
    expect(await store.countMany([{ services: ["a"] }, { services: ["b"] }])).toEqual([7, 0]);
  });

  test("stats and retention read Elasticsearch's _stats, _alias and _delete_by_query answers", async () => {
    const { mock, store } = setup();
    mock.add({ method: "POST", path: `/${PREFIX}/_search` }, () =>
      searchResponse([], 12, {
        aggregations: { oldest: { value: 1000, value_as_string: "x" }, newest: { value: 5000 } },
      }),
    );
    mock.add({ method: "GET", path: `/${PREFIX}/_stats/store` }, () => ({
      _shards: { total: 2, successful: 2, failed: 0 },
      _all: { primaries: { store: { size_in_bytes: 2048 } }, total: { store: { size_in_bytes: 4096 } } },
      indices: {},
    }));
    expect(await store.stats()).toEqual({ events: 12, bytes: 4096, oldest: 1000, newest: 5000 });

    const deleted: string[] = [];
    mock.add({ method: "GET", path: `/_alias/${PREFIX}` }, () => ({
      [`${PREFIX}-2026.10.01`]: { aliases: { [PREFIX]: {} } },
      [`${PREFIX}-2026.10.02`]: { aliases: { [PREFIX]: {} } },
      [`${PREFIX}-2026.10.03`]: { aliases: { [PREFIX]: {} } },
    }));
    mock.add({ method: "POST", path: "/:index/_count" }, () => ({
      count: 10,
      _shards: { total: 1, failed: 0 },
    }));
    mock.add({ method: "DELETE", path: "/:index" }, (p) => {
      deleted.push(String(p.path));
      return acknowledged();
    });
    mock.add({ method: "POST", path: "/:index/_delete_by_query" }, (p) => {
      deleted.push(String(p.path));
      return {
        took: 147,
        timed_out: false,
        total: 3,
        deleted: 3,
        batches: 1,
        version_conflicts: 0,
        noops: 0,
        retries: { bulk: 0, search: 0 },
        throttled_millis: 0,
        requests_per_second: -1,
        throttled_until_millis: 0,
        failures: [],
      };
    });
    const cutoff = Date.UTC(2026, 9, 2, 12);
    expect(await store.deleteOlderThan(cutoff)).toBe(13);
    expect(deleted).toEqual([`/${PREFIX}-2026.10.01`, `/${PREFIX}-2026.10.02/_delete_by_query`]);
  });
});

describe("fetch transport against Elasticsearch (the Workers path)", () => {
  function fakeFetch(respond: (url: string, init: RequestInit) => Response) {
    const calls: { url: string; init: RequestInit }[] = [];
    const f = (async (input: string | URL | Request, init?: RequestInit) => {
      calls.push({ url: String(input), init: init ?? {} });
      return respond(String(input), init ?? {});
    }) as typeof fetch;
    return { f, calls };
  }
  const json = (body: unknown, status = 200, product = true) =>
    new Response(JSON.stringify(body), {
      status,
      headers: {
        "content-type": "application/json",
        ...(product ? { "x-elastic-product": "Elasticsearch" } : {}),
      },
    });

  test("sends the API key, JSON bodies and NDJSON bulk bodies as Elasticsearch expects", async () => {
    const { f, calls } = fakeFetch((url) =>
      url.includes("_bulk")
        ? json({ took: 1, errors: false, items: [{ create: { status: 201, result: "created" } }] })
        : json({ acknowledged: true }),
    );
    const engine = fetchEngine({
      url: "https://es.example:9243/",
      flavor: "elasticsearch",
      apiKey: "k==",
      fetch: f,
    });
    const store = new SearchLogStore(engine, { indexPrefix: PREFIX });
    const e = event(Date.now() - 5);
    expect(await store.write([e])).toEqual({ written: 1, duplicates: 0 });
    expect(calls.map((c) => `${c.init.method} ${c.url}`)).toEqual([
      "GET https://es.example:9243/",
      `PUT https://es.example:9243/_index_template/${PREFIX}`,
      `PUT https://es.example:9243/${PREFIX}/_mapping?ignore_unavailable=true&allow_no_indices=true`,
      "POST https://es.example:9243/_bulk?refresh=wait_for",
    ]);
    const headers = calls[3]?.init.headers as Record<string, string>;
    expect(headers.authorization).toBe("ApiKey k==");
    expect(headers["content-type"]).toBe("application/x-ndjson");
    const lines = String(calls[3]?.init.body)
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { create: { _index: expect.any(String), _id: e.id } },
      { ...e, attributes_numeric: [], attributes_keyword: [] },
    ]);
  });

  test("keeps the client's product check and reports an engine that does not answer", async () => {
    const notEs = fetchEngine({
      url: "http://x",
      flavor: "elasticsearch",
      fetch: fakeFetch(() => json({ status: "green" }, 200, false)).f,
    });
    expect((await new SearchLogStore(notEs, { indexPrefix: PREFIX }).health()).status).toBe("unhealthy");

    const red = fetchEngine({
      url: "http://x",
      flavor: "elasticsearch",
      fetch: fakeFetch(() => json({ status: "red" })).f,
    });
    expect(await new SearchLogStore(red, { indexPrefix: PREFIX }).health()).toEqual({
      status: "unhealthy",
      detail: "red",
    });

    const down = fetchEngine({
      url: "http://x",
      flavor: "elasticsearch",
      fetch: (async () => {
        throw new TypeError("fetch failed");
      }) as unknown as typeof fetch,
    });
    const err = await new SearchLogStore(down, { indexPrefix: PREFIX }).count({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SearchEngineError);
    expect((err as SearchEngineError).type).toBe("unreachable");
  });
});
