import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { SearchEngine } from "../core/adapters/search/backend.ts";
import { BulkRejectedError } from "../core/adapters/search/bulk.ts";
import { fetchEngine } from "../core/adapters/search/fetch.ts";
import { SearchLogStore } from "../core/adapters/search/log-store.ts";
import { dayIndex, indexTemplate } from "../core/adapters/search/mappings.ts";
import { openSearchEngine } from "../core/adapters/search/opensearch.ts";
import { loadConfig } from "../core/config.ts";
import { AppError } from "../core/errors.ts";
import type { LogEvent } from "../core/log-event.ts";
import { buildLogStore } from "../workers/build-deps.ts";
import { bunSearchEngine } from "../workers/bun/platform.ts";
import { OPENSEARCH_TEST_URL, opensearchReachable } from "./helpers/engines.ts";
import { logEvent } from "./helpers/events.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";
import { runLogStoreConformance, SEARCH_ENGINE_STORE } from "./log-store-conformance.ts";

// Writes wait for a refresh (up to 1 s) and the 10,000-event test creates four day indices: on two shared
// cores that outlasts bun's 5 s default, which suits an in-process Postgres better than a JVM over HTTP.
integrationTimeouts();

// Throws when LOGFLOW_REQUIRE_ENGINES names opensearch and the node is absent, so CI cannot skip.
const reachable = await opensearchReachable();

/** A prefix no other run uses; its indices and template are removed by `drop`. */
function freshPrefix(): string {
  return `logflow-test-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

async function drop(engine: SearchEngine, prefix: string): Promise<void> {
  await engine.transport({ method: "DELETE", path: `/${prefix}-*` });
  await engine.transport({ method: "DELETE", path: `/_index_template/${prefix}` });
}

function event(ts: number, fields: Partial<LogEvent> = {}): LogEvent {
  return logEvent(ts, { received_at: new Date(ts + 1).toISOString(), service: "os-test", ...fields });
}

describe.skipIf(!reachable)("OpenSearch node", () => {
  runLogStoreConformance(
    "search-engine store on OpenSearch",
    async () => {
      const prefix = freshPrefix();
      const engine = openSearchEngine({ url: OPENSEARCH_TEST_URL });
      return {
        store: new SearchLogStore(engine, { indexPrefix: prefix }),
        async close() {
          await drop(engine, prefix);
          await engine.close();
        },
      };
    },
    SEARCH_ENGINE_STORE,
  );

  // The edge read path: the same suite through plain fetch (what the API uses on Workers, where the
  // official clients do not load), against the same real engine.
  runLogStoreConformance(
    "search-engine store on OpenSearch over fetch",
    async () => {
      const prefix = freshPrefix();
      const engine = fetchEngine({ url: OPENSEARCH_TEST_URL, flavor: "opensearch" });
      return {
        store: new SearchLogStore(engine, { indexPrefix: prefix }),
        async close() {
          await drop(engine, prefix);
        },
      };
    },
    SEARCH_ENGINE_STORE,
  );

  describe("what only the search-engine store has", () => {
    const engine = openSearchEngine({ url: OPENSEARCH_TEST_URL });
    const prefix = freshPrefix();
    const store = new SearchLogStore(engine, { indexPrefix: prefix });
    const others: string[] = [];

    afterAll(async () => {
      for (const p of [prefix, ...others]) await drop(engine, p);
      await engine.close();
    });

    test("an event the engine refuses is reported rejected with its reason; the rest of the batch is stored", async () => {
      const now = Date.now() - 1000;
      const good = [event(now, { service: "partial" }), event(now - 1, { service: "partial" })];
      // A field the strict mapping does not know: the engine refuses that one document (400).
      const bad = { ...event(now - 2, { service: "partial" }), unexpected: { nested: true } } as LogEvent;
      const attempt = () => store.write([good[0]!, bad, good[1]!]);

      const first = await attempt().catch((e: unknown) => e);
      expect(first).toBeInstanceOf(BulkRejectedError);
      const err = first as BulkRejectedError;
      expect(err.written).toBe(2);
      expect(err.duplicates).toBe(0);
      expect(err.rejected).toHaveLength(1);
      expect(err.rejected[0]?.id).toBe(bad.id);
      expect(err.rejected[0]?.status).toBe(400);
      expect(err.rejected[0]?.type).toBe("strict_dynamic_mapping_exception");
      for (const e of good) expect(await store.get(e.id)).toEqual(e);
      expect(await store.get(bad.id)).toBeNull();

      // Replaying the batch (what an indexer does after a crash) stores nothing twice.
      const again = (await attempt().catch((e: unknown) => e)) as BulkRejectedError;
      expect(again).toBeInstanceOf(BulkRejectedError);
      expect([again.written, again.duplicates, again.rejected.length]).toEqual([0, 2, 1]);
      expect(await store.count({ services: ["partial"] })).toBe(2);
    });

    describe("search text cannot reach the engine's query language", () => {
      const service = `inject-${crypto.randomUUID().slice(0, 8)}`;
      const messages = [
        "payment accepted for order 7",
        'login attempt " OR 1=1 blocked',
        "script alert in comment",
        "nothing to see",
      ];
      const events = messages.map((message, i) => event(Date.now() - 60_000 + i, { service, message }));

      beforeAll(async () => {
        await store.write(events);
      });

      async function hits(text: string): Promise<string[]> {
        const page = await store.search({ services: [service], text, limit: 100 });
        return page.logs.map((e) => e.message).sort();
      }

      // `service:*`, `message:*` and `pay*` are LogFlow's own language (every event, a prefix): not listed.
      test("engine syntax is text: no match-all, field, exists, prefix, fuzzy or regex queries", async () => {
        for (const text of [
          "*:*",
          "*",
          "_exists_:message",
          "paymnt~2",
          "/pay.*/",
          '{"query":{"match_all":{}}}',
          '{"script":{"source":"Thread.sleep(10000)"}}',
          "_source:true",
        ]) {
          const found = await hits(text);
          expect(found.length).toBeLessThan(messages.length);
          // Whatever matches contains the text's words literally, nothing broader.
          expect(found.every((m) => m.includes("script") || m.includes("source"))).toBe(true);
        }
      });

      test('an SQL-style tautology matches only the event that contains its words: " OR 1=1', async () => {
        expect(await hits('" OR 1=1')).toEqual(['login attempt " OR 1=1 blocked']);
        expect(await hits("' OR 1=1 --")).toEqual(['login attempt " OR 1=1 blocked']);
      });

      test("huge wildcards and deep nesting: nothing matches or a 400, nothing hangs", async () => {
        for (const text of [
          "*".repeat(4_000),
          "?*".repeat(2_000),
          "\\".repeat(4_000),
          "*".repeat(50_000),
          "(".repeat(4_000),
        ]) {
          const found = await hits(text).catch((e: unknown) => e);
          if (found instanceof AppError) expect(found.status).toBe(400);
          else expect(found).toEqual([]);
        }
      });

      test("more words than the clause budget is a 400 for the client, not an engine failure", async () => {
        const text = Array.from({ length: 300 }, (_, i) => `w${i}`).join(" ");
        const err = await store.search({ services: [service], text, limit: 10 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(AppError);
        expect((err as AppError).status).toBe(400);
      });
    });

    test("a store reads only its own indices, not those of a longer prefix that starts the same", async () => {
      const longer = `${prefix}-staging`;
      others.push(longer);
      const other = new SearchLogStore(engine, { indexPrefix: longer });
      const word = `w${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
      await other.write([event(Date.now() - 500, { message: word })]);
      await store.write([event(Date.now() - 400, { message: `${word} mine` })]);
      expect(await other.count({ text: word })).toBe(1);
      expect(await store.count({ text: word })).toBe(1);
      expect((await store.search({ text: word, limit: 10 })).logs[0]?.message).toBe(`${word} mine`);
      // Retention of one prefix leaves the other's days alone.
      expect(await store.deleteOlderThan(Date.now() + 86_400_000)).toBeGreaterThanOrEqual(1);
      expect(await other.count({ text: word })).toBe(1);
    });

    test("any number of distinct attribute keys stays one mapped field (no mapping explosion)", async () => {
      const attributes = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`key_${i}.${i}`, i]));
      const e = event(Date.now() - 300, { service: "attrs", attributes });
      expect(await store.write([e])).toEqual({ written: 1, duplicates: 0 });
      expect(await store.get(e.id)).toEqual(e);
      const res = await engine.transport<
        Record<string, { mappings: { properties: Record<string, unknown> } }>
      >({
        method: "GET",
        path: `/${prefix}/_mapping`,
      });
      for (const index of Object.values(res.body)) {
        expect(Object.keys(index.mappings.properties).length).toBeLessThan(20);
        expect(index.mappings.properties.attributes).toEqual({ type: "flat_object" });
      }
    });
  });

  describe("grouping by an attribute (the key\u0000value keywords)", () => {
    const engine = openSearchEngine({ url: OPENSEARCH_TEST_URL });
    const prefix = freshPrefix();
    const store = new SearchLogStore(engine, { indexPrefix: prefix });
    const at = Date.now() - 60_000;
    const range = { from: at - 1000, to: at + 1000 };

    afterAll(async () => {
      await drop(engine, prefix);
      await engine.close();
    });

    test("a key's punctuation is literal: http.status is not httpXstatus, @a/b-c.d is itself", async () => {
      const service = `punct-${crypto.randomUUID().slice(0, 8)}`;
      const attrs: LogEvent["attributes"][] = [
        { "http.status": 500, httpXstatus: 1, "@a/b-c.d": "x" },
        { "http.status": 500, "http.status2": 3 },
        { "http.status": "200", "@a/b-c.dd": "y", "@a/b-c.d": true },
        { httpXstatus: 2 },
      ];
      await store.write(attrs.map((attributes, i) => event(at + i, { service, attributes })));
      const groups = async (name: string) => {
        const res = await store.aggregate(
          { ...range, services: [service] },
          { by: [{ kind: "attribute", name }], aggs: [{ fn: "count" }], limit: 10 },
        );
        return res.rows.map((r) => [r.group === null ? "other" : r.group[0], r.values[0]]);
      };
      expect(await groups("http.status")).toEqual([
        ["500", 2],
        [null, 1],
        ["200", 1],
      ]);
      expect(await groups("@a/b-c.d")).toEqual([
        [null, 2],
        ["true", 1],
        ["x", 1],
      ]);
    });

    test("a value too long to index groups as absent; the event is stored whole", async () => {
      const service = `long-${crypto.randomUUID().slice(0, 8)}`;
      // Past KEYWORD_PAIR_MAX_CHARS; below flat_object's own limit (it refuses a leaf over 32,766 bytes).
      const long = event(at, { service, attributes: { blob: "x".repeat(9_000), region: "eu" } });
      const short = event(at + 1, { service, attributes: { blob: "small", region: "eu" } });
      expect(await store.write([long, short])).toEqual({ written: 2, duplicates: 0 });
      expect(await store.get(long.id)).toEqual(long);
      const res = await store.aggregate(
        { ...range, services: [service] },
        { by: [{ kind: "attribute", name: "blob" }], aggs: [{ fn: "count" }], limit: 10 },
      );
      expect(res.rows.map((r) => [r.group, r.values[0]])).toEqual([
        [[null], 1],
        [["small"], 1],
      ]);
    });

    test("count_distinct of an attribute is exact up to maxDistinctValues per cell; past it, a 400 (no floor)", async () => {
      const service = `distinct-${crypto.randomUUID().slice(0, 8)}`;
      // Six users in one minute, five of them in its first half; one value too long for the keywords
      // (not counted: KEYWORD_PAIR_MAX_CHARS).
      const minute = Math.floor((at - 2 * 60_000) / 60_000) * 60_000;
      const users = ["u1", "u2", "u3", "u4", "u5", "u6"];
      await store.write([
        ...users.map((user, i) =>
          event(minute + (i === 5 ? 35_000 : i * 1000), { service, attributes: { user } }),
        ),
        event(minute + 10, { service, attributes: { user: "u1" } }),
        event(minute + 20, { service, attributes: { user: "x".repeat(9_000) } }),
      ]);
      const capped = new SearchLogStore(engine, { indexPrefix: prefix, maxDistinctValues: 5 });
      const distinct = { fn: "count_distinct", field: { kind: "attribute", name: "user" } } as const;
      const filter = { from: minute, to: minute + 59_999, services: [service] };
      const total = await store.aggregate(filter, { by: [], aggs: [distinct], limit: 1 });
      expect(total.rows).toEqual([{ group: [], values: [6] }]);
      // 30 s cells: five then one, each within the cap.
      const cells = await capped.aggregate(filter, {
        by: [],
        aggs: [distinct],
        intervalMs: 30_000,
        limit: 1,
      });
      expect(cells.rows.map((r) => r.values[0])).toEqual([5, 1]);
      const err = await capped
        .aggregate(filter, { by: [], aggs: [distinct], limit: 1 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).status).toBe(400);
      expect((err as AppError).message).toStartWith("count_distinct(user): more than 5 distinct values");
    });

    test("an answer past the engine's search.max_buckets is a 400 naming the distinct counts, not a 503", async () => {
      // 6,600 events × 10 attributes of distinct values: 66,000 buckets, past the default 65,535.
      const service = `buckets-${crypto.randomUUID().slice(0, 8)}`;
      const keys = Array.from({ length: 10 }, (_, j) => `k${j}`);
      await store.write(
        Array.from({ length: 6_600 }, (_, i) =>
          event(at - 10_000 + (i % 1000), {
            service,
            attributes: Object.fromEntries(keys.map((k) => [k, `${k}-${i}`])),
          }),
        ),
      );
      const spec = {
        by: [],
        aggs: keys.map((name) => ({ fn: "count_distinct", field: { kind: "attribute", name } }) as const),
        limit: 1,
      };
      const filter = { from: at - 10_000, to: at, services: [service] };
      const err = await store.aggregate(filter, spec).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).status).toBe(400);
      expect((err as AppError).message).toStartWith("count_distinct(k0), count_distinct(k1)");
      expect((err as AppError).message).toContain("search.max_buckets");
      // Fewer at once fit.
      expect((await store.aggregate(filter, { ...spec, aggs: spec.aggs.slice(0, 9) })).rows).toEqual([
        { group: [], values: keys.slice(0, 9).map(() => 6_600) },
      ]);
    });

    test("a histogram or pattern counts past the engine's search.max_buckets are a 400 naming the interval, not a 503 to retry", async () => {
      // Each document has many timestamps (a date field may hold several): it falls in that many
      // buckets, so a few of them pass the default 65,535 buckets where one event per bucket would take
      // 66,000 events and minutes to write on a loaded machine. The store never writes such documents;
      // the engine counts their buckets as it would those of as many events.
      const wide = new SearchLogStore(engine, { indexPrefix: prefix, maxHistogramBuckets: 20_000 });
      const base = Math.floor((at - 100_000) / 1000) * 1000;
      const run = crypto.randomUUID().slice(0, 8);
      const stamps = (n: number) => Array.from({ length: n }, (_, j) => new Date(base + j).toISOString());
      const docs = [
        // 11,000 one-ms buckets × (1 + 5 levels): 66,000 histogram buckets.
        ...(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] as const).map((level) => ({
          ...event(base, { service: `hist-${run}`, level }),
          timestamp: stamps(11_000),
        })),
        // 10 patterns × 6,600 one-ms buckets each (+ the 10 patterns): 66,010.
        ...Array.from({ length: 10 }, (_, k) => ({
          ...event(base, { service: `pat-${run}`, pattern: `p${k}` }),
          timestamp: stamps(6_600),
        })),
      ];
      await store.write([event(base)]); // the day's index, from the store's template
      const res = await engine.transport<{ errors: boolean }>({
        method: "POST",
        path: "/_bulk",
        querystring: { refresh: "true" },
        bulkBody: docs.flatMap((d) => [{ create: { _index: dayIndex(prefix, base), _id: d.id } }, d]),
      });
      expect(res.body.errors).toBe(false);
      const refused = async (p: Promise<unknown>) => {
        const err = await p.then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(AppError);
        const e = err as AppError;
        expect({
          status: e.status,
          fields: (e.extra.errors as { field: string }[] | undefined)?.map((f) => f.field),
        }).toEqual({
          status: 400,
          fields: ["interval"],
        });
        expect(e.message).toStartWith("interval: ");
        expect(e.message).toContain("search.max_buckets");
        return e.message;
      };
      const hist = { from: base, to: base + 10_999, services: [`hist-${run}`] };
      await refused(wide.histogram(hist, 1));
      // A longer interval, as the answer says, fits (a document counts once per bucket: two of its times each).
      expect((await wide.histogram(hist, 2)).reduce((n, b) => n + b.count, 0)).toBe(5 * 5_500);
      const pat = { from: base, to: base + 6_599, services: [`pat-${run}`] };
      expect(await refused(wide.patternCounts(pat, 1, 10))).toContain("limit");
      expect((await wide.patternCounts(pat, 2, 10)).patterns.map((p) => p.count)).toEqual(
        Array.from({ length: 10 }, () => 1),
      );
    }, 120_000);

    test("events of an index made before the keywords existed count as missing the attribute", async () => {
      // A day index as the template made it before (no attributes_keyword), holding one event.
      const old = `${prefix}-2020.01.01`;
      const { settings, mappings } = indexTemplate(prefix, "opensearch", "1s").template;
      const { attributes_keyword: _, ...before } = mappings.properties;
      const created = await engine.transport({
        method: "PUT",
        path: `/${old}`,
        body: { settings, aliases: { [prefix]: {} }, mappings: { ...mappings, properties: before } },
      });
      expect(created.status).toBe(200);
      const ts = Date.UTC(2020, 0, 1, 12);
      const service = `old-${crypto.randomUUID().slice(0, 8)}`;
      const e = event(ts, { service, attributes: { region: "eu" } });
      const { attributes_keyword: __, ...source } = { ...e, attributes_keyword: [] };
      await engine.transport({ method: "PUT", path: `/${old}/_doc/${e.id}?refresh=true`, body: source });
      // The store adds the field to existing indices when it installs its template; later events have it.
      const fresh = new SearchLogStore(engine, { indexPrefix: prefix });
      await fresh.write([event(ts + 1, { service, attributes: { region: "eu" } })]);
      await engine.transport({ method: "POST", path: `/${prefix}/_refresh` });
      const res = await fresh.aggregate(
        { from: ts - 1000, to: ts + 1000, services: [service] },
        { by: [{ kind: "attribute", name: "region" }], aggs: [{ fn: "count" }], limit: 10 },
      );
      expect(res.rows.map((r) => [r.group, r.values[0]])).toEqual([
        [[null], 1],
        [["eu"], 1],
      ]);
      // Searches read it as before.
      expect((await fresh.search({ services: [service], text: "region:eu", limit: 10 })).total).toBe(2);
    });
  });

  describe("buildLogStore (Bun)", () => {
    // Postgres is not touched when a search engine holds the logs: no database at all here.
    const bun = { database: undefined, searchEngine: bunSearchEngine, searchTemplate: "at-start" } as const;
    const prefix = freshPrefix();
    const engine = openSearchEngine({ url: OPENSEARCH_TEST_URL });

    afterAll(async () => {
      await drop(engine, prefix);
      await engine.close();
    });

    test("OPENSEARCH_URL selects the search-engine store, with SEARCH_INDEX_PREFIX as its prefix", async () => {
      const config = loadConfig({ OPENSEARCH_URL: OPENSEARCH_TEST_URL, SEARCH_INDEX_PREFIX: prefix });
      const { store } = await buildLogStore(config, bun);
      expect(store).toBeInstanceOf(SearchLogStore);
      const e = event(Date.now() - 200, { service: "selected" });
      expect(await store.write([e])).toEqual({ written: 1, duplicates: 0 });
      const templates = await engine.transport<{ index_templates: unknown[] }>({
        method: "GET",
        path: `/_index_template/${prefix}`,
      });
      expect(templates.body.index_templates).toHaveLength(1);
      expect(await store.get(e.id)).toEqual(e);
    });

    test("SEARCH_INDEX_SHARDS sets the primary shards of each day's index", async () => {
      const sharded = freshPrefix();
      const config = loadConfig({
        OPENSEARCH_URL: OPENSEARCH_TEST_URL,
        SEARCH_INDEX_PREFIX: sharded,
        SEARCH_INDEX_SHARDS: "3",
      });
      const { store, close } = await buildLogStore(config, bun);
      try {
        await store.write([event(Date.now() - 200, { service: "sharded" })]);
        const res = await engine.transport<
          Record<string, { settings: { index: { number_of_shards: string } } }>
        >({
          method: "GET",
          path: `/${sharded}-*/_settings`,
        });
        const shards = Object.values(res.body).map((i) => i.settings.index.number_of_shards);
        expect(shards).toEqual(["3"]);
      } finally {
        await drop(engine, sharded);
        await close();
      }
    });

    test("an engine that does not answer is a start-up error naming the variable", async () => {
      const config = loadConfig({
        OPENSEARCH_URL: "http://127.0.0.1:9",
        SEARCH_INDEX_PREFIX: prefix,
        STARTUP_WAIT_SECONDS: "0",
      });
      await expect(buildLogStore(config, bun)).rejects.toThrow(/^OPENSEARCH_URL: /);
    });
  });
});
