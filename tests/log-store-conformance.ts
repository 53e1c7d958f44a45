import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { uuidv7 } from "../core/ids.ts";
import { LEVELS, type Level } from "../core/level.ts";
import type { LogEvent } from "../core/log-event.ts";
import {
  type GroupedQuery,
  InvalidCursorError,
  type LogFilter,
  type LogStore,
  type SearchPage,
} from "../core/ports/log-store.ts";
import {
  type AggregateResult,
  type AggregateRow,
  type AggregateSpec,
  aggregateEvents,
  fieldText,
} from "../core/query/aggregate.ts";
import type { Field } from "../core/query/ast.ts";
import { matches } from "../core/query/evaluate.ts";
import { fieldsOf } from "../core/query/fields.ts";
import { parseLogQuery } from "../core/query/parse.ts";
import { type Aggregation, percentileOf } from "../core/query/schema.ts";
import { attributeNumber } from "../core/query/values.ts";
import { logEvent } from "./helpers/events.ts";
import { Random } from "./helpers/random-query.ts";

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** A name no other test (or earlier run) uses, so that every test can filter down to its own events. */
function fresh(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
}

/** A searchable word that occurs nowhere else: letters and digits only, one token for every analyzer. */
function freshWord(): string {
  return `w${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
}

function event(ts: number, fields: Partial<LogEvent> = {}): LogEvent {
  return logEvent(ts, { received_at: new Date(ts + 3).toISOString(), service: "conformance", ...fields });
}

function ids(events: { id: string }[]): string[] {
  return events.map((e) => e.id).sort();
}

/** Whether a is after b in the store's order: newer first, ties on time broken by id, descending. */
function isAfter(a: LogEvent, b: LogEvent): boolean {
  const ta = Date.parse(a.timestamp);
  const tb = Date.parse(b.timestamp);
  return ta !== tb ? ta < tb : a.id < b.id;
}

/** What differs between engines, said by each engine's test file. */
export interface StoreFeatures {
  /**
   * Percentiles exact (percentile_cont), else the engine's estimate (t-digest): held to lie between the
   * values one rank below and one rank above the exact percentile's (percentile_cont interpolates at
   * rank p·(n−1), t-digest at about p·n − ½, which is at most ½ a rank away, on groups this small).
   */
  exactPercentiles: boolean;
}

/** Postgres and PGlite. */
export const EXACT_STORE: StoreFeatures = { exactPercentiles: true };
/** OpenSearch and Elasticsearch. */
export const SEARCH_ENGINE_STORE: StoreFeatures = { exactPercentiles: false };

/**
 * The behaviour every LogStore must have, as a bun:test suite. `open` is called once for the whole
 * suite (opening an engine can take seconds); every test writes events under fresh service names or
 * ids, so tests are independent of each other and of their order.
 *
 * Global operations are kept apart by time: only the `recent` test writes events in the future, only
 * the retention test writes events older than a few days.
 */
export function runLogStoreConformance(
  name: string,
  open: () => Promise<{ store: LogStore; close(): Promise<void> }>,
  features: StoreFeatures = EXACT_STORE,
): void {
  describe(`LogStore conformance: ${name}`, () => {
    let store: LogStore;
    let close: (() => Promise<void>) | undefined;

    // Opening an engine (PGlite: ~5 s; a fresh Postgres database plus migrations) outlasts the default
    // hook timeout.
    beforeAll(async () => {
      const opened = await open();
      store = opened.store;
      close = () => opened.close();
    }, 60_000);

    afterAll(async () => {
      await close?.();
    }, 30_000);

    /** Every page of a search, following cursors until the last. */
    async function allPages(filter: LogFilter, limit: number): Promise<SearchPage[]> {
      const pages: SearchPage[] = [];
      let cursor: string | undefined;
      for (let guard = 0; guard < 10_000; guard++) {
        const page = await store.search({ ...filter, limit, ...(cursor ? { cursor } : {}) });
        pages.push(page);
        if (page.nextCursor === null) return pages;
        cursor = page.nextCursor;
      }
      throw new Error("pagination did not end");
    }

    describe("write", () => {
      test("stores each id once: replays and in-batch repeats count as duplicates", async () => {
        const service = fresh("write");
        const now = Date.now();
        const [a, b, c, d, e, f] = Array.from({ length: 6 }, (_, i) => event(now - i * 10, { service }));
        if (!a || !b || !c || !d || !e || !f) throw new Error("unreachable");

        expect(await store.write([a, b, c])).toEqual({ written: 3, duplicates: 0 });
        expect(await store.write([a, b, c, d])).toEqual({ written: 1, duplicates: 3 });
        expect(await store.write([e, e, f])).toEqual({ written: 2, duplicates: 1 });
        expect(await store.write([])).toEqual({ written: 0, duplicates: 0 });

        const page = await store.search({ services: [service], limit: 100 });
        expect(page.total).toBe(6);
        expect(ids(page.logs)).toEqual(ids([a, b, c, d, e, f]));
      });

      test("a replay with the same id keeps the first version", async () => {
        const service = fresh("replay");
        const original = event(Date.now() - 1000, { service, message: "first version" });
        await store.write([original]);
        const result = await store.write([{ ...original, message: "second version" }]);
        expect(result).toEqual({ written: 0, duplicates: 1 });
        expect((await store.get(original.id))?.message).toBe("first version");
      });

      test("takes a batch of 10,000 events over several days in one call", async () => {
        const service = fresh("bulk");
        const now = Date.now();
        const batch = Array.from({ length: 10_000 }, (_, i) =>
          event(now - Math.floor((i * 3 * DAY) / 10_000) - 1, {
            service,
            level: LEVELS[i % LEVELS.length] as Level,
            message: `bulk event number ${i}`,
            attributes: { i },
            ...(i % 2 ? { pattern: `p${i % 10}` } : {}),
          }),
        );
        expect(await store.write(batch)).toEqual({ written: 10_000, duplicates: 0 });
        // The batch is large enough for the Postgres store's COPY path: patterns come back from it too.
        expect(await store.get(batch[3]!.id)).toEqual(batch[3]!);
        expect(await store.get(batch[4]!.id)).toEqual(batch[4]!);
        expect(await store.write(batch)).toEqual({ written: 0, duplicates: 10_000 });
        expect(await store.count({ services: [service] })).toBe(10_000);
        expect(await store.count({ services: [service], levels: ["ERROR"] })).toBe(2_000);
      });
    });

    describe("get", () => {
      test("returns the event exactly as written", async () => {
        const ts = Date.now() - 5_000;
        const written = event(ts, {
          service: fresh("get"),
          level: "WARNING",
          message: 'multi\nline "quoted" \\ back\'slash — ünïcödé 🚀 %_ *:*',
          host: "web-01",
          correlation_id: crypto.randomUUID(),
          request_id: "req-1",
          trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
          span_id: "00f067aa0ba902b7",
          attributes: {
            region: "eu-west-1",
            latency_ms: 412.5,
            retries: 3,
            cached: false,
            "http.status": 502,
          },
          pattern: "0123456789abcdef",
        });
        await store.write([written]);
        expect(await store.get(written.id)).toEqual(written);
      });

      test("keeps nulls as null and empty attributes as an empty object", async () => {
        const written = event(Date.now() - 5_000, { service: fresh("get-nulls") });
        await store.write([written]);
        const got = await store.get(written.id);
        expect(got).toEqual(written);
        expect(got?.host).toBeNull();
        expect(got?.attributes).toEqual({});
      });

      test("stores an attribute value over Lucene's 32,766-byte term limit, reads it back whole, finds it", async () => {
        // Ingest caps values at 4,096 characters; a store must still not refuse such an event (as a
        // search engine's flat_object would, whole).
        const service = fresh("get-long");
        const long = "é".repeat(20_000); // 40,000 bytes of UTF-8
        const written = event(Date.now() - 5_000, {
          service,
          attributes: { blob: long, tail: `${"x".repeat(40_000)}🚀`, region: "eu" },
        });
        expect(await store.write([written])).toEqual({ written: 1, duplicates: 0 });
        expect(await store.get(written.id)).toEqual(written);
        for (const text of ["blob:*", "blob:éé*", "tail:xx*", "region:eu"]) {
          const page = await store.search({ services: [service], text, limit: 10 });
          expect({ text, logs: page.logs }).toEqual({ text, logs: [written] });
        }
      });

      test("finds an event whose id is not a time-ordered UUIDv7", async () => {
        const written = {
          ...event(Date.now() - 5_000, { service: fresh("get-v4") }),
          id: crypto.randomUUID(),
        };
        await store.write([written]);
        expect(await store.get(written.id)).toEqual(written);
      });

      test("returns null for absent, unknown and malformed ids without failing", async () => {
        expect(await store.get(uuidv7(Date.now()))).toBeNull();
        expect(await store.get(crypto.randomUUID())).toBeNull();
        expect(await store.get("00000000-0000-0000-0000-000000000000")).toBeNull();
        for (const junk of ["", "not-a-uuid", "' or 1=1 --", "*", "0190a1b2-c3d4-7e5f-8a9b", "%"]) {
          expect(await store.get(junk)).toBeNull();
        }
      });
    });

    describe("recent", () => {
      test("returns the newest events first, at most limit", async () => {
        // The only test that writes in the future, so these are the newest events in the store.
        const base = Date.now() + 10 * MINUTE;
        const service = fresh("recent");
        const events = [0, 1, 2].map((i) => event(base + i, { service }));
        await store.write(events);
        const got = await store.recent(2);
        const newestFirst = events.map((e) => e.id).reverse();
        expect(got.map((e) => e.id)).toEqual(newestFirst.slice(0, 2));
        const three = await store.recent(3);
        expect(three.map((e) => e.id)).toEqual(newestFirst);
        const many = await store.recent(50);
        expect(many.length).toBeLessThanOrEqual(50);
        for (let i = 1; i < many.length; i++)
          expect(isAfter(many[i] as LogEvent, many[i - 1] as LogEvent)).toBe(true);
      });
    });

    describe("text search", () => {
      const service = fresh("text");
      const messages = [
        "Payment failed for order 42", // 0
        "payment succeeded for order 43", // 1
        "Connection reset by peer", // 2
        "reset the peer connection", // 3
        "login attempt ' OR 1=1 -- blocked", // 4
        "unbalanced quote in config", // 5
        "disk usage at 95% on var", // 6
      ];
      const events = messages.map((message, i) => event(Date.now() - HOUR + i, { service, message }));

      beforeAll(async () => {
        await store.write(events);
      });

      async function hits(text: string): Promise<number[]> {
        const page = await store.search({ services: [service], text, limit: 100 });
        expect(page.total).toBe(page.logs.length);
        return page.logs.map((e) => events.findIndex((x) => x.id === e.id)).sort((a, b) => a - b);
      }

      test("ANDs words, in any case", async () => {
        expect(await hits("payment order")).toEqual([0, 1]);
        expect(await hits("payment failed")).toEqual([0]);
        expect(await hits("PAYMENT")).toEqual([0, 1]);
        expect(await hits("pAyMeNt FAILED")).toEqual([0]);
      });

      test("matches whole words, not prefixes or stems", async () => {
        expect(await hits("pay")).toEqual([]);
        expect(await hits("payments")).toEqual([]);
      });

      test("matches a quoted phrase only with its words in order", async () => {
        expect(await hits('"connection reset"')).toEqual([2]);
        expect(await hits("connection reset")).toEqual([2, 3]);
      });

      test("excludes -words and ORs alternatives", async () => {
        expect(await hits("payment -failed")).toEqual([1]);
        expect(await hits("failed or succeeded")).toEqual([0, 1]);
      });

      test("searches the service name too", async () => {
        expect((await hits(service)).length).toBe(messages.length);
      });

      describe("words inside paths, hosts, emails and dotted names", () => {
        const logService = fresh("words");
        const lines = [
          "GET /api/v1/users/u_56441/profile 200 in 19ms", // 0
          "java.lang.NullPointerException at com.acme.Billing.charge(Billing.java:42)", // 1
          "mail to bob@example.com bounced, relay 203.0.113.45", // 2
          "profile 56441 loaded for u", // 3
        ];
        const logged = lines.map((message, i) =>
          event(Date.now() - HOUR + i, { service: logService, message }),
        );
        beforeAll(async () => {
          await store.write(logged);
        });
        async function found(text: string): Promise<number[]> {
          const page = await store.search({ services: [logService], text, limit: 100 });
          return page.logs.map((e) => logged.findIndex((x) => x.id === e.id)).sort((a, b) => a - b);
        }

        test("any word of them is found", async () => {
          expect(await found("56441")).toEqual([0, 3]);
          expect(await found("profile")).toEqual([0, 3]);
          expect(await found("NullPointerException")).toEqual([1]);
          expect(await found("charge")).toEqual([1]);
          expect(await found("example")).toEqual([2]);
          expect(await found("113")).toEqual([2]);
        });

        test("a term of several words matches them adjacent and in order", async () => {
          expect(await found("u_56441")).toEqual([0]);
          expect(await found("/api/v1/users")).toEqual([0]);
          // Unquoted, `Billing.java:42` is a field term (the attribute Billing.java equal to 42).
          expect(await found('"Billing.java:42"')).toEqual([1]);
          expect(await found("Billing.java:42")).toEqual([]);
          expect(await found("example.com")).toEqual([2]);
          expect(await found("203.0.113.45")).toEqual([2]);
          expect(await found("113.203")).toEqual([]);
          expect(await found("56441 -u_56441")).toEqual([3]);
        });
      });

      test("finds a word across services without other filters", async () => {
        const word = freshWord();
        const mine = [event(Date.now() - 2000, { service: fresh("a"), message: `alpha ${word}` })];
        mine.push(event(Date.now() - 3000, { service: fresh("b"), message: `${word} beta` }));
        await store.write(mine);
        const page = await store.search({ text: word, limit: 10 });
        expect(page.total).toBe(2);
        expect(ids(page.logs)).toEqual(ids(mine));
        expect(await store.count({ text: word.toUpperCase() })).toBe(2);
      });

      test("treats query-language and SQL lookalikes as plain text", async () => {
        // Parsed as words, `' OR 1=1 --` finds only events containing them, never everything.
        const tautology = await hits("' OR 1=1 --");
        expect(tautology.length).toBeLessThan(messages.length);
        for (const i of tautology) expect(messages[i]).toContain("1");
        expect(await hits('"unbalanced')).toEqual([5]);
        expect(await hits("unbalanced\"'")).toEqual([5]);
        expect(await hits("');drop table logs;--")).toEqual([]);
        expect(await store.count({ services: [service] })).toBe(messages.length);
      });

      test("text without a searchable word matches nothing; blank text is no filter", async () => {
        // Punctuation is not indexed, so no event can be shown to contain it: an empty result, not an
        // error and not everything. A blank search box, on the other hand, is no text filter at all.
        for (const junk of [
          "*:*",
          "\\",
          "\\\\",
          "%",
          "%%",
          "_",
          "*",
          "&|!",
          "()",
          "-",
          '"',
          "'",
          "<->",
          ":*",
        ]) {
          expect(await hits(junk)).toEqual([]);
        }
        expect((await hits("   ")).length).toBe(messages.length);
        expect((await hits("")).length).toBe(messages.length);
      });
    });

    describe("filters", () => {
      const [s1, s2, s3] = [fresh("f1"), fresh("f2"), fresh("f3")];
      const correlation = crypto.randomUUID();
      const trace = crypto.randomUUID().replaceAll("-", "");
      const t0 = Date.now() - 2 * HOUR;
      const events = [
        event(t0, { service: s1, level: "DEBUG" }),
        event(t0 + 1, { service: s1, level: "INFO", correlation_id: correlation }),
        event(t0 + 2, { service: s1, level: "ERROR", correlation_id: correlation, trace_id: trace }),
        event(t0 + 3, { service: s2, level: "CRITICAL", trace_id: trace }),
        event(t0 + 4, { service: s2, level: "WARNING", message: "needle in s2" }),
        event(t0 + 5, { service: s3, level: "ERROR", message: "needle in s3" }),
      ];
      const all = [s1, s2, s3];

      beforeAll(async () => {
        await store.write(events);
      });

      async function matching(filter: LogFilter): Promise<number[]> {
        const page = await store.search({ ...filter, limit: 100 });
        expect(await store.count(filter)).toBe(page.total);
        expect(page.total).toBe(page.logs.length);
        return page.logs.map((e) => events.findIndex((x) => x.id === e.id)).sort((a, b) => a - b);
      }

      test("services narrows to any of the listed services", async () => {
        expect(await matching({ services: [s1] })).toEqual([0, 1, 2]);
        expect(await matching({ services: [s1, s3] })).toEqual([0, 1, 2, 5]);
        expect(await matching({ services: [fresh("nobody")] })).toEqual([]);
      });

      test("levels narrows to any of the listed levels", async () => {
        expect(await matching({ services: all, levels: ["ERROR"] })).toEqual([2, 5]);
        expect(await matching({ services: all, levels: ["ERROR", "CRITICAL"] })).toEqual([2, 3, 5]);
        expect(await matching({ services: all, levels: ["DEBUG", "INFO", "WARNING"] })).toEqual([0, 1, 4]);
      });

      test("empty lists do not narrow", async () => {
        expect(await matching({ services: all, levels: [] })).toEqual([0, 1, 2, 3, 4, 5]);
        expect(await matching({ correlationId: correlation, services: [] })).toEqual([1, 2]);
      });

      test("from and to are inclusive bounds", async () => {
        expect(await matching({ services: all, from: t0 + 1, to: t0 + 3 })).toEqual([1, 2, 3]);
        expect(await matching({ services: all, from: t0 + 2, to: t0 + 2 })).toEqual([2]);
        expect(await matching({ services: all, from: t0 + 4 })).toEqual([4, 5]);
        expect(await matching({ services: all, to: t0 })).toEqual([0]);
        expect(await matching({ services: all, from: t0 + 3, to: t0 + 2 })).toEqual([]);
      });

      test("correlationId and traceId match exactly", async () => {
        expect(await matching({ correlationId: correlation })).toEqual([1, 2]);
        expect(await matching({ traceId: trace })).toEqual([2, 3]);
        expect(await matching({ correlationId: correlation, traceId: trace })).toEqual([2]);
        expect(await matching({ correlationId: crypto.randomUUID() })).toEqual([]);
      });

      test("filters combine with each other and with text", async () => {
        expect(await matching({ services: all, text: "needle" })).toEqual([4, 5]);
        expect(await matching({ services: all, text: "needle", levels: ["ERROR"] })).toEqual([5]);
        expect(await matching({ services: [s2, s3], text: "needle", from: t0 + 5, to: t0 + 5 })).toEqual([5]);
      });
    });

    describe("the query language (core/query/GRAMMAR.md) in `text`", () => {
      const s = fresh("q");
      // Five seconds into a minute, so that two minutes of histogram hold every event.
      const t0 = Math.floor((Date.now() - 3 * HOUR) / MINUTE) * MINUTE + 5000;
      const events = [
        event(t0, {
          service: s,
          level: "ERROR",
          message: "card declined for user u_42",
          host: "web-3",
          attributes: { status_code: 502, latency_ms: 412, route: "/api/v1/pay", user_id: "u_42" },
        }),
        event(t0 + 1, {
          service: s,
          level: "WARNING",
          message: "GET /api/v1/users 200",
          host: "web-30",
          attributes: { status_code: "200", latency_ms: "19", route: "/api/v1/users", "http.status": 200 },
        }),
        event(t0 + 2, {
          service: s,
          level: "INFO",
          message: "payment service unreachable: timeout after 250 ms",
          attributes: { latency_ms: 250, service: "shadow" },
        }),
        event(t0 + MINUTE, { service: s, level: "DEBUG", message: "card cache warm", attributes: {} }),
      ];

      beforeAll(async () => {
        await store.write(events);
      });

      async function matching(text: string): Promise<number[]> {
        const filter = { services: [s], text };
        const page = await store.search({ ...filter, limit: 100 });
        expect(await store.count(filter)).toBe(page.total);
        expect((await store.countMany([filter]))[0]).toBe(page.total);
        return page.logs.map((e) => events.findIndex((x) => x.id === e.id)).sort((a, b) => a - b);
      }

      test("field terms: columns and attributes exactly, numbers as their text", async () => {
        expect(await matching("host:web-3")).toEqual([0]);
        expect(await matching("level:warn")).toEqual([1]);
        expect(await matching("status_code:502")).toEqual([0]);
        expect(await matching("status_code:200")).toEqual([1]);
        expect(await matching("http.status:200 OR attributes.service:shadow")).toEqual([1, 2]);
        expect(await matching("user_id:u_42")).toEqual([0]);
        expect(await matching("user_id:U_42")).toEqual([]);
        // Events written without a pattern id have none.
        expect(await matching("pattern:p0123456789abcdef")).toEqual([]);
        expect(await matching("-pattern:*")).toEqual([0, 1, 2, 3]);
      });

      test("numeric ranges over numbers and numeric strings; existence; prefixes", async () => {
        expect(await matching("latency_ms:>250")).toEqual([0]);
        expect(await matching("latency_ms:>=250")).toEqual([0, 2]);
        expect(await matching("latency_ms:[19 TO 250]")).toEqual([1, 2]);
        expect(await matching("latency_ms:<20")).toEqual([1]);
        expect(await matching("user_id:*")).toEqual([0]);
        expect(await matching("-latency_ms:*")).toEqual([3]);
        expect(await matching("route:/api/v1/u*")).toEqual([1]);
        expect(await matching("host:web-3*")).toEqual([0, 1]);
      });

      test("words, message-only text, groups and NOT combine with fields", async () => {
        expect(await matching("card")).toEqual([0, 3]);
        expect(await matching("card -level:debug")).toEqual([0]);
        expect(await matching('message:"payment service"')).toEqual([2]);
        expect(await matching("(declined OR timeout) AND NOT host:web-3")).toEqual([2]);
        expect(await matching("level:(error OR debug) card*")).toEqual([0, 3]);
      });

      test("histogram and breakdown count what the query selects", async () => {
        const filter = {
          services: [s],
          text: "latency_ms:*",
          from: t0 - 5000,
          to: t0 - 5000 + 2 * MINUTE - 1,
        };
        const buckets = await store.histogram(filter, MINUTE);
        expect(buckets.map((b) => b.count)).toEqual([3, 0]);
        const levels = await store.breakdown(filter, "level");
        expect(levels.map((l) => [l.key, l.count]).sort()).toEqual([
          ["ERROR", 1],
          ["INFO", 1],
          ["WARNING", 1],
        ]);
      });
    });

    describe("aggregate: what aggregateEvents (core/query/aggregate.ts) answers for the same events", () => {
      const s1 = fresh("agg-a");
      const s2 = fresh("agg-b");
      const s3 = fresh("agg-c");
      // Two whole minutes, four hours ago, aligned so that 30 s buckets are known.
      const base = Math.floor((Date.now() - 4 * HOUR) / MINUTE) * MINUTE;
      const range = { from: base, to: base + 2 * MINUTE - 1 };
      const levels: Level[] = ["INFO", "ERROR", "WARNING"];
      const events: LogEvent[] = [];
      // s1: 30 events, s2: 20, s3: 6: distinct group sizes, so the ranking has no ties.
      const sizes: [string, number][] = [
        [s1, 30],
        [s2, 20],
        [s3, 6],
      ];
      let k = 0;
      for (const [service, n] of sizes) {
        for (let i = 0; i < n; i++, k++) {
          const attributes: LogEvent["attributes"] = { region: i % 3 === 0 ? "eu" : "us" };
          if (i % 4 !== 3) attributes.latency_ms = k % 2 === 0 ? 10 * k : String(10 * k);
          if (i % 5 === 0) attributes.latency_ms = "n/a";
          events.push(
            event(base + ((k * 7919) % (2 * MINUTE)), {
              service,
              level: levels[k % 3] as Level,
              host: i % 6 === 0 ? null : `h${i % 4}`,
              message: k % 2 === 0 ? "request served" : "request failed",
              attributes,
            }),
          );
        }
      }
      const services = [s1, s2, s3];
      const filter = { ...range, services };
      const numeric: Aggregation[] = [
        { fn: "count" },
        { fn: "sum", attribute: "latency_ms" },
        { fn: "avg", attribute: "latency_ms" },
        { fn: "min", attribute: "latency_ms" },
        { fn: "max", attribute: "latency_ms" },
        { fn: "p50", attribute: "latency_ms" },
        { fn: "p95", attribute: "latency_ms" },
      ];

      beforeAll(async () => {
        await store.write(events);
      });

      /** The numbers of `attribute` in each row's events (the reference's rows, in order), sorted. */
      function rowNumbers(
        matching: LogEvent[],
        want: AggregateResult,
        spec: AggregateSpec,
        attribute: string,
      ): number[][] {
        const key = (e: LogEvent) => JSON.stringify(spec.by.map((f) => fieldText(e, f)));
        const kept = new Set(want.rows.flatMap((r) => (r.group ? [JSON.stringify(r.group)] : [])));
        return want.rows.map((row) =>
          matching
            .filter((e) => {
              const ts = Date.parse(e.timestamp);
              const step = spec.intervalMs;
              if (
                row.start !== undefined &&
                step !== undefined &&
                !(ts >= row.start && ts < row.start + step)
              )
                return false;
              return row.group === null ? !kept.has(key(e)) : key(e) === JSON.stringify(row.group);
            })
            .flatMap((e) => {
              const n = Object.hasOwn(e.attributes, attribute)
                ? attributeNumber(e.attributes[attribute] as LogEvent["attributes"][string])
                : undefined;
              return n === undefined ? [] : [n];
            })
            .sort((a, b) => a - b),
        );
      }

      function expectSame(
        got: AggregateResult,
        want: AggregateResult,
        spec: AggregateSpec,
        matching: LogEvent[],
      ): void {
        expect(got.total).toBe(want.total);
        expect(got.rows.map((r) => [r.start, r.group])).toEqual(want.rows.map((r) => [r.start, r.group]));
        got.rows.forEach((row, i) => {
          const ref = want.rows[i] as AggregateRow;
          row.values.forEach((v, j) => {
            const w = ref.values[j] ?? null;
            const fn = spec.aggs[j]?.fn ?? "count";
            const at = { row: i, agg: fn };
            if (w === null || v === null) expect({ ...at, v }).toEqual({ ...at, v: w });
            else if (!features.exactPercentiles && /^p\d\d$/.test(fn)) {
              // The engine's own estimate: within one rank of the exact percentile (StoreFeatures).
              const a = spec.aggs[j] as Extract<Aggregation, { attribute: string }>;
              const sorted = rowNumbers(matching, want, spec, a.attribute)[i] as number[];
              const rank = (percentileOf(a.fn) as number) * (sorted.length - 1);
              const low = sorted[Math.max(0, Math.floor(rank) - 1)] as number;
              const high = sorted[Math.min(sorted.length - 1, Math.ceil(rank) + 1)] as number;
              expect({ ...at, v, within: v >= low - 1e-9 && v <= high + 1e-9 }).toEqual({
                ...at,
                v,
                within: true,
              });
            } else expect(v).toBeCloseTo(w, 6);
          });
        });
      }

      async function check(spec: AggregateSpec, text?: string): Promise<AggregateResult> {
        const f = text ? { ...filter, text } : filter;
        const matching = events.filter((e) => text === undefined || matches(parseLogQuery(text), e));
        const want = aggregateEvents(matching, range, spec);
        const got = await store.aggregate(f, spec);
        expectSame(got, want, spec, matching);
        return got;
      }

      test("count, sum, avg, min, max and percentiles of a numeric attribute, by service", async () => {
        const got = await check({ by: [{ kind: "column", name: "service" }], aggs: numeric, limit: 10 });
        expect(got.rows.map((r) => r.group)).toEqual([[s1], [s2], [s3]]);
        expect(got.rows.map((r) => r.values[0])).toEqual([30, 20, 6]);
      });

      test("by two fields over 30 s buckets, zeros present, the rest as other", async () => {
        const spec: AggregateSpec = {
          by: [
            { kind: "column", name: "service" },
            { kind: "column", name: "level" },
          ],
          aggs: [{ fn: "count" }, { fn: "max", attribute: "latency_ms" }],
          intervalMs: 30_000,
          limit: 4,
        };
        const got = await check(spec);
        expect(got.rows.length).toBe(4 * 5);
        expect(got.rows.filter((r) => r.group === null).length).toBe(4);
        expect(got.rows.reduce((n, r) => n + (r.values[0] ?? 0), 0)).toBe(56);
      });

      test("counts alone over the range (answered from the ranking): kept groups, the rest as other", async () => {
        const by: Field[] = [
          { kind: "column", name: "service" },
          { kind: "column", name: "level" },
        ];
        const got = await check({ by, aggs: [{ fn: "count" }, { fn: "count" }], limit: 4 });
        expect(got.rows.length).toBe(5);
        expect(got.rows[4]?.group).toBeNull();
        expect(got.rows.reduce((n, r) => n + (r.values[0] ?? 0), 0)).toBe(56);
        await check({ by, aggs: [{ fn: "count" }], limit: 100 }, "failed");
        await check({ by, aggs: [{ fn: "count" }], limit: 3 }, "nothing_matches_this_word");
        await check({
          by: [{ kind: "attribute", name: "region" }, ...by],
          aggs: [{ fn: "count" }],
          limit: 2,
        });
      });

      test("a missing value is its own group (null); count_distinct counts present values", async () => {
        await check({
          by: [{ kind: "column", name: "host" }],
          aggs: [{ fn: "count" }, { fn: "count_distinct", field: { kind: "column", name: "service" } }],
          limit: 10,
        });
      });

      test("over a query, with no by: one group per bucket, even when nothing matches", async () => {
        await check({ by: [], aggs: numeric, intervalMs: MINUTE, limit: 10 }, "failed latency_ms:>100");
        const none = await check({ by: [], aggs: numeric, limit: 10 }, "nothing_matches_this_word");
        expect(none.rows).toEqual([{ group: [], values: [0, null, null, null, null, null, null] }]);
      });

      test("random specs: groups, buckets, functions, limits and queries agree with the reference", async () => {
        const r = new Random(20_261_203);
        const columns: Field[] = [
          { kind: "column", name: "service" },
          { kind: "column", name: "level" },
          { kind: "column", name: "host" },
        ];
        const fields: Field[] = [
          ...columns,
          { kind: "attribute", name: "region" },
          { kind: "attribute", name: "latency_ms" },
        ];
        const numericFns = ["sum", "avg", "min", "max", "p50", "p90", "p99"] as const;
        const queries = [undefined, "failed", "latency_ms:>100", "-level:info", "region:eu OR host:h1"];
        for (let k = 0; k < 25; k++) {
          const by = fields.filter(() => r.chance(0.35)).slice(0, 2);
          const aggs: Aggregation[] = [{ fn: "count" }, { fn: "min", attribute: "latency_ms" }];
          aggs.push({ fn: "max", attribute: "latency_ms" });
          for (let j = r.int(3); j > 0; j--) aggs.push({ fn: r.pick(numericFns), attribute: "latency_ms" });
          if (r.chance(0.5)) aggs.push({ fn: "count_distinct", field: r.pick(fields) });
          const spec: AggregateSpec = {
            by,
            aggs,
            limit: 1 + r.int(4),
            ...(r.chance(0.5) ? { intervalMs: r.pick([30_000, MINUTE]) } : {}),
          };
          await check(spec, r.pick(queries));
        }
      });

      test("attributes as groups, with numbers of their own, over a query", async () => {
        const region: Field = { kind: "attribute", name: "region" };
        const got = await check({ by: [region], aggs: numeric, limit: 10 });
        expect(got.rows.map((r) => r.group)).toEqual([["us"], ["eu"]]);
        expect(got.rows.map((r) => r.values[0])).toEqual([37, 19]);
        // Numbers and numeric strings group by their text; `n/a` and absent values are groups too.
        await check({ by: [{ kind: "attribute", name: "latency_ms" }], aggs: [{ fn: "count" }], limit: 5 });
        await check(
          { by: [region, { kind: "column", name: "level" }], aggs: numeric, intervalMs: 30_000, limit: 4 },
          "failed OR latency_ms:>200",
        );
      });

      test("fields and their top values (GET /api/v1/logs/fields) from what a search reads back", async () => {
        for (const text of [undefined, "failed", "latency_ms:>100 OR region:eu"]) {
          const page = await store.search({ ...filter, ...(text ? { text } : {}), limit: 1000 });
          const matching = events.filter((e) => text === undefined || matches(parseLogQuery(text), e));
          expect(page.total).toBe(matching.length);
          // Types kept: 120 and "120" are one value, `n/a` another; counts, distinct values and ranks alike.
          expect(fieldsOf(page.logs, 5)).toEqual(fieldsOf(matching, 5));
        }
      });

      test("distinct counts of attributes, exactly: per group, per interval, grouped by attributes, over a query", async () => {
        const latency: Field = { kind: "attribute", name: "latency_ms" };
        const region: Field = { kind: "attribute", name: "region" };
        const absent: Field = { kind: "attribute", name: "no_such_attribute" };
        const distinct = (field: Field): Aggregation => ({ fn: "count_distinct", field });
        const got = await check({
          by: [{ kind: "column", name: "service" }],
          aggs: [{ fn: "count" }, distinct(latency), distinct(region), distinct(absent)],
          limit: 10,
        });
        // Numbers and numeric strings count by their text, `n/a` as one value, absent values not at all.
        expect(got.rows.map((r) => r.values.slice(1))).toEqual([
          [
            new Set(
              events
                .slice(0, 30)
                .map((e) => fieldText(e, latency))
                .filter((v) => v !== null),
            ).size,
            2,
            0,
          ],
          [
            new Set(
              events
                .slice(30, 50)
                .map((e) => fieldText(e, latency))
                .filter((v) => v !== null),
            ).size,
            2,
            0,
          ],
          [
            new Set(
              events
                .slice(50)
                .map((e) => fieldText(e, latency))
                .filter((v) => v !== null),
            ).size,
            2,
            0,
          ],
        ]);
        await check(
          {
            by: [region, { kind: "column", name: "level" }],
            aggs: [distinct(latency), distinct({ kind: "column", name: "host" }), { fn: "count" }],
            intervalMs: 30_000,
            limit: 3,
          },
          "failed OR latency_ms:>200",
        );
        await check({ by: [], aggs: [distinct(latency), distinct(region)], intervalMs: MINUTE, limit: 10 });
        await check({ by: [absent], aggs: [distinct(absent), distinct(region)], limit: 2 }, "region:eu");
        await check({ by: [], aggs: [distinct(latency)], limit: 1 }, "nothing_matches_this_word");
      });
    });

    describe("arrival order", () => {
      test("1,000 events of one millisecond come back in the order they were minted, written at once or in ten writes", async () => {
        const at = Date.now() - 20 * MINUTE;
        for (const writes of [1, 10]) {
          const service = fresh("order");
          const events = Array.from({ length: 1_000 }, (_, i) =>
            event(at, { service, message: `line ${i}` }),
          );
          for (let w = 0; w < writes; w++) {
            const part = events.slice((w * 1_000) / writes, ((w + 1) * 1_000) / writes);
            await store.write(part.toReversed()); // the store's order must not depend on the write's
          }
          const page = await store.search({ services: [service], limit: 1_000 });
          expect(page.logs.map((e) => e.message)).toEqual(events.map((e) => e.message).toReversed());
        }
      }, 60_000); // a search engine refreshes after each of the ten writes
    });

    describe("microseconds", () => {
      // One millisecond, four microsecond times: the ids are minted newest time first, so that only the
      // timestamp can put them in order.
      const service = fresh("micros");
      const ms = Math.floor((Date.now() - 25 * MINUTE) / 1000) * 1000 + 123;
      const base = new Date(ms).toISOString().slice(0, -1);
      const times = [`${base}999Z`, `${base}456Z`, `${base}001Z`, `${base.slice(0, -3)}123Z`];
      const events = times.map((timestamp, i) => ({
        ...event(ms, { service, message: `µs ${i}` }),
        timestamp,
      }));

      beforeAll(async () => {
        await store.write(events.toReversed());
      });

      test("timestamps come back to the microsecond, ordered by them within their millisecond", async () => {
        const page = await store.search({ services: [service], limit: 10 });
        expect(page.logs.map((e) => e.timestamp)).toEqual(times);
        expect(page.logs.map((e) => e.id)).toEqual(ids(events));
        for (const e of events) expect((await store.get(e.id))?.timestamp).toBe(e.timestamp);
      });

      test("a millisecond's bounds hold its microseconds; cursors neither skip nor repeat within it", async () => {
        expect(await store.count({ services: [service], from: ms, to: ms })).toBe(4);
        expect(await store.count({ services: [service], to: ms - 1 })).toBe(0);
        expect(await store.count({ services: [service], from: ms + 1 })).toBe(0);
        const pages = await allPages({ services: [service] }, 1);
        expect(pages.flatMap((p) => p.logs.map((e) => e.timestamp))).toEqual(times);
      });
    });

    describe("pagination", () => {
      const service = fresh("pages");
      const base = Date.now() - 30 * MINUTE;
      // Groups of four events share a millisecond, so the id must break ties for pages to be stable.
      const events = Array.from({ length: 250 }, (_, i) =>
        event(base - Math.floor(i / 4) * 7, { service, level: i % 5 === 0 ? "ERROR" : "INFO" }),
      );

      beforeAll(async () => {
        await store.write(events);
      });

      for (const limit of [37, 50, 1, 249, 250, 1000]) {
        test(`pages of ${limit} cover every event once, in order, with the same exact total`, async () => {
          const pages = await allPages({ services: [service] }, limit);
          expect(pages.length).toBe(Math.ceil(250 / limit));
          const seen = pages.flatMap((p) => p.logs);
          for (const p of pages) expect(p.total).toBe(250);
          for (const p of pages.slice(0, -1)) {
            expect(p.logs.length).toBe(limit);
            expect(p.nextCursor).not.toBeNull();
          }
          expect(pages[pages.length - 1]?.nextCursor).toBeNull();
          expect(seen.length).toBe(250);
          expect(new Set(seen.map((e) => e.id)).size).toBe(250);
          expect(ids(seen)).toEqual(ids(events));
          for (let i = 1; i < seen.length; i++)
            expect(isAfter(seen[i] as LogEvent, seen[i - 1] as LogEvent)).toBe(true);
        });
      }

      test("a cursor keeps the filter's narrowing on later pages", async () => {
        const pages = await allPages({ services: [service], levels: ["ERROR"] }, 7);
        const seen = pages.flatMap((p) => p.logs);
        expect(seen.length).toBe(50);
        for (const p of pages) expect(p.total).toBe(50);
        expect(seen.every((e) => e.level === "ERROR")).toBe(true);
        expect(new Set(seen.map((e) => e.id)).size).toBe(50);
      });

      test("withTotal: false gives the same page and cursor, with a total of at least the page", async () => {
        const filter = { services: [service], levels: ["ERROR" as Level] };
        const full = await store.search({ ...filter, limit: 7 });
        const bare = await store.search({ ...filter, limit: 7, withTotal: false });
        expect(ids(bare.logs)).toEqual(ids(full.logs));
        expect(bare.total).toBeGreaterThanOrEqual(bare.logs.length);
        expect(bare.total).toBeLessThanOrEqual(full.total);
        expect(bare.nextCursor === null).toBe(full.nextCursor === null);
      });

      test("an empty result has no cursor", async () => {
        const page = await store.search({ services: [fresh("none")], limit: 10 });
        expect(page).toEqual({ total: 0, logs: [], nextCursor: null });
      });

      test("a cursor that was not issued by the store is rejected with InvalidCursorError", async () => {
        const forged = btoa("123:not-a-uuid").replace(/=+$/, "");
        for (const cursor of ["garbage!", "bm90IGEgY3Vyc29y", forged, "x".repeat(5000), "' OR 1=1 --"]) {
          await expect(store.search({ services: [service], limit: 10, cursor })).rejects.toBeInstanceOf(
            InvalidCursorError,
          );
        }
      });
    });

    describe("aggregations", () => {
      test("count equals the search total", async () => {
        const service = fresh("count");
        await store.write(Array.from({ length: 17 }, (_, i) => event(Date.now() - 1000 - i, { service })));
        expect(await store.count({ services: [service] })).toBe(17);
        expect((await store.search({ services: [service], limit: 5 })).total).toBe(17);
        expect(await store.count({})).toBeGreaterThanOrEqual(17);
      });

      test("countMany equals count for each filter, in order, windows inclusive at both ends", async () => {
        const service = fresh("many");
        const other = fresh("many");
        const word = freshWord();
        const to = Date.now() - 5000;
        const evs = [
          event(to, { service, level: "ERROR", message: `${word} at the end` }),
          event(to - 1, { service, level: "INFO" }),
          event(to - MINUTE, { service, level: "ERROR" }), // exactly one minute old
          event(to - MINUTE - 1, { service, level: "ERROR", message: word }),
          event(to - 5 * MINUTE, { service: other, level: "WARNING", message: word }),
          event(to - 5 * MINUTE - 1, { service: other, level: "WARNING" }),
          event(to + 1, { service, level: "ERROR" }), // after the window's end
        ];
        await store.write(evs);
        const both = [service, other];
        const filters: LogFilter[] = [
          { services: [service], from: to - MINUTE, to },
          { services: [service], levels: ["ERROR"], from: to - MINUTE, to },
          { services: both, from: to - 5 * MINUTE, to },
          { services: both, levels: ["WARNING", "ERROR"], from: to - 10 * MINUTE, to },
          { services: both, text: word, from: to - 5 * MINUTE, to },
          { services: [service], text: word, from: to - MINUTE, to },
          { services: both, from: to - 90_000, to }, // not whole minutes
          { services: [service], from: to - MINUTE, to: to + MINUTE },
          { services: [service] },
          { services: [fresh("none")], from: to - MINUTE, to },
        ];
        const expected = await Promise.all(filters.map((f) => store.count(f)));
        expect(expected).toEqual([3, 2, 5, 5, 3, 1, 4, 4, 5, 0]);
        expect(await store.countMany(filters)).toEqual(expected);
        expect(await store.countMany([])).toEqual([]);
      });

      test("groupMany answers queries that share a text and a `by` as it answers each alone", async () => {
        // Postgres reads the rows of such queries over the same range once for all of them
        // (group-many.ts): each must still get only its own services and levels, its own function and
        // its own largest groups.
        const services = [fresh("gm"), fresh("gm"), fresh("gm")];
        const word = freshWord();
        const to = Math.floor(Date.now() / MINUTE) * MINUTE - 10 * MINUTE + 1500;
        const evs = Array.from({ length: 60 }, (_, k) =>
          event(to - k * 17_000, {
            service: services[k % 3]!,
            level: k % 4 === 0 ? "ERROR" : "INFO",
            message: k % 5 === 0 ? `${word} slow` : "plain",
            attributes: { latency_ms: k % 7 === 0 ? String(k * 10) : k * 10 },
          }),
        );
        await store.write(evs);
        const latency = { fn: "p95" as const, attribute: "latency_ms" };
        const service: Field = { kind: "column", name: "service" };
        const level: Field = { kind: "column", name: "level" };
        const queries: GroupedQuery[] = [
          { filter: { services, from: to - 5 * MINUTE, to }, by: [service], agg: latency },
          {
            filter: { services: services.slice(0, 2), from: to - 90_000, to },
            by: [service],
            agg: { fn: "count" },
          },
          {
            filter: { services, levels: ["ERROR"], from: to - 20 * MINUTE, to },
            by: [service],
            agg: { fn: "max", attribute: "latency_ms" },
          },
          {
            filter: { services, from: to - 20 * MINUTE, to: to - 5 * MINUTE },
            by: [service],
            agg: { fn: "avg", attribute: "latency_ms" },
          },
          { filter: { services, text: word, from: to - 20 * MINUTE, to }, by: [service], agg: latency },
          {
            filter: { services: [services[2]!], from: to - 3 * MINUTE, to },
            by: [],
            agg: { fn: "sum", attribute: "latency_ms" },
          },
          {
            filter: { services, from: to - 20 * MINUTE, to },
            by: [level],
            agg: { fn: "min", attribute: "latency_ms" },
          },
          { filter: { services: [fresh("none")], from: to - 20 * MINUTE, to }, by: [service], agg: latency },
          {
            filter: { services: services.slice(1), from: to - 20 * MINUTE, to },
            by: [service],
            agg: latency,
          },
        ];
        const alone = await Promise.all(queries.map(async (q) => (await store.groupMany([q], 2))[0] ?? []));
        expect(await store.groupMany(queries, 2)).toEqual(alone);
        expect(alone.map((groups) => groups!.length)).toEqual([2, 2, 2, 2, 2, 1, 2, 0, 2]);
        expect(alone[1]!.reduce((n, g) => n + g.count, 0)).toBe(4); // 90 s of two services' events
        expect(alone[5]![0]!.value).toBe([2, 5, 8].reduce((n, k) => n + k * 10, 0));
      });

      test("groupMany answers queries over one range grouped by different fields as aggregate does", async () => {
        // Postgres reads such a range once for every `by` (group-many.ts: a materialized scan, one
        // grouping of it per `by`), with the ranges inside it that are not much narrower; each answer
        // must still be the plain aggregation of its own filter.
        const services = [fresh("gb"), fresh("gb")];
        const word = freshWord();
        const to = Math.floor(Date.now() / MINUTE) * MINUTE - 30 * MINUTE + 2500;
        const from = to - 20 * MINUTE;
        const levels: Level[] = ["INFO", "ERROR", "WARNING"];
        const evs = Array.from({ length: 90 }, (_, k) =>
          event(k === 0 ? from : k === 1 ? to : to - ((k * 13_337) % (20 * MINUTE)), {
            service: services[k % 2]!,
            level: levels[k % 3]!,
            host: k % 5 === 0 ? null : `h${k % 4}`,
            message: k % 3 === 0 ? `${word} slow` : "plain",
            attributes: k % 7 === 0 ? {} : { latency_ms: k % 4 === 0 ? String(k * 10) : k * 10 },
          }),
        );
        evs.push(event(from - 1, { service: services[0]!, attributes: { latency_ms: 99_999 } }));
        evs.push(event(to + 1, { service: services[1]!, attributes: { latency_ms: 99_999 } }));
        await store.write(evs);
        const field = (name: "service" | "level" | "host"): Field => ({ kind: "column", name });
        const latency = (fn: "p95" | "p50" | "avg" | "max" | "sum" | "min") => ({
          fn,
          attribute: "latency_ms",
        });
        const queries: GroupedQuery[] = [
          { filter: { services, from, to }, by: [field("service")], agg: latency("p95") },
          { filter: { services, from, to }, by: [field("level")], agg: latency("p95") },
          {
            filter: { services, levels: ["ERROR", "INFO"], from, to },
            by: [field("host")],
            agg: latency("avg"),
          },
          { filter: { services, from, to }, by: [field("service"), field("level")], agg: latency("max") },
          { filter: { services: [services[0]!], from, to }, by: [], agg: latency("p50") },
          { filter: { services, from, to }, by: [field("level")], agg: { fn: "count" } },
          { filter: { services, from, to }, by: [field("host")], agg: latency("sum") },
          { filter: { services, text: word, from, to }, by: [field("level")], agg: latency("min") },
          { filter: { services, text: word, from, to }, by: [field("service")], agg: latency("p95") },
          // Narrower ranges inside the first: read with it (down to an eighth of its span), or alone.
          { filter: { services, from: to - 5 * MINUTE, to }, by: [field("service")], agg: latency("p95") },
          {
            filter: { services, from: from + MINUTE, to: to - 9 * MINUTE },
            by: [field("level")],
            agg: latency("avg"),
          },
          { filter: { services, from: to - 2 * MINUTE, to }, by: [field("host")], agg: { fn: "count" } },
        ];
        const got = await store.groupMany(queries, 100);
        const alone = await Promise.all(queries.map(async (q) => (await store.groupMany([q], 100))[0] ?? []));
        expect(got).toEqual(alone);
        const sorted = <T extends { group: (string | null)[] | null }>(xs: T[]) =>
          [...xs].sort((a, b) => (JSON.stringify(a.group) < JSON.stringify(b.group) ? -1 : 1));
        for (const [i, q] of queries.entries()) {
          const plain = await store.aggregate(q.filter as LogFilter & { from: number; to: number }, {
            by: q.by,
            aggs: q.agg.fn === "count" ? [{ fn: "count" }] : [{ fn: "count" }, q.agg],
            limit: 100,
          });
          const exact = features.exactPercentiles || percentileOf(q.agg.fn) === null;
          const want = sorted(plain.rows.filter((r) => q.by.length === 0 || (r.values[0] ?? 0) > 0)).map(
            (r) => ({
              group: r.group ?? [],
              count: r.values[0] ?? 0,
              ...(exact ? { value: r.values[q.agg.fn === "count" ? 0 : 1] } : {}),
            }),
          );
          const mine = sorted(got[i]!).map((g) => ({
            group: g.group,
            count: g.count,
            ...(exact ? { value: g.value } : {}),
          }));
          expect({ i, groups: mine }).toEqual({ i, groups: want });
        }
        expect(got.map((groups) => groups.length)).toEqual([2, 3, 5, 6, 1, 3, 5, 1, 2, 2, 3, 5]);
      });

      test("groupMany groups by attributes as aggregateEvents does: largest groups, ties by value, null for missing", async () => {
        // What grouped alert rules on an attribute read each tick (`group_by: ["route"]`).
        const service = fresh("gma");
        const to = Math.floor(Date.now() / MINUTE) * MINUTE - 12 * MINUTE;
        // Per 7 events: /pay 3, /cart 2, /home 1, none 1: /home and the missing route tie (null first).
        const routes = ["/pay", "/cart", "/pay", "/home", "/cart", "/pay", null];
        const evs = Array.from({ length: 42 }, (_, k) => {
          const attributes: LogEvent["attributes"] = { latency_ms: k % 5 === 0 ? String(k * 10) : k * 10 };
          const route = routes[k % 7];
          if (route) attributes.route = route;
          if (k % 3 === 0) attributes.region = k % 2 ? "eu" : "us";
          return event(to - 1000 - k * 13_000, {
            service,
            level: k % 4 === 0 ? "ERROR" : "INFO",
            attributes,
          });
        });
        await store.write(evs);
        const filter = { services: [service], from: to - 20 * MINUTE, to };
        const route: Field = { kind: "attribute", name: "route" };
        const region: Field = { kind: "attribute", name: "region" };
        const level: Field = { kind: "column", name: "level" };
        const cases: { query: GroupedQuery; maxGroups: number }[] = [
          { query: { filter, by: [route], agg: { fn: "count" } }, maxGroups: 3 },
          { query: { filter, by: [route], agg: { fn: "avg", attribute: "latency_ms" } }, maxGroups: 10 },
          {
            query: { filter, by: [region, level], agg: { fn: "max", attribute: "latency_ms" } },
            maxGroups: 4,
          },
          {
            query: { filter, by: [level, route], agg: { fn: "sum", attribute: "latency_ms" } },
            maxGroups: 100,
          },
          {
            query: {
              filter: { ...filter, text: "route:/pay OR region:eu" },
              by: [route],
              agg: { fn: "count" },
            },
            maxGroups: 10,
          },
          {
            query: {
              filter: { ...filter, to: to - 8 * MINUTE },
              by: [region],
              agg: { fn: "min", attribute: "latency_ms" },
            },
            maxGroups: 5,
          },
        ];
        const order = (groups: { group: (string | null)[]; count: number }[]) =>
          [...groups].sort(
            (a, b) => b.count - a.count || JSON.stringify(a.group).localeCompare(JSON.stringify(b.group)),
          );
        const answers = await store.groupMany(
          cases.map((c) => c.query),
          100,
        );
        for (const [i, { query, maxGroups }] of cases.entries()) {
          const matching = evs.filter((e) => {
            const ts = Date.parse(e.timestamp);
            return (
              ts >= query.filter.from &&
              ts <= query.filter.to &&
              (!query.filter.text || matches(parseLogQuery(query.filter.text), e))
            );
          });
          const spec: AggregateSpec = {
            by: query.by,
            aggs: [{ fn: "count" }, query.agg as Aggregation],
            limit: maxGroups,
          };
          const want = aggregateEvents(matching, query.filter, spec).rows.flatMap((r) => {
            if (r.group === null) return [];
            const group = r.group;
            const inGroup = matching.filter(
              (e) => JSON.stringify(query.by.map((f) => fieldText(e, f))) === JSON.stringify(group),
            );
            return [
              {
                group,
                count: r.values[0] as number,
                value: r.values[1] ?? null,
                latest: Math.max(...inGroup.map((e) => Date.parse(e.timestamp))),
              },
            ];
          });
          const got = (await store.groupMany([query], maxGroups))[0] ?? [];
          expect({ i, groups: order(got) }).toEqual({ i, groups: order(want) });
          // Asked together with the others (up to 100 groups): the same, when maxGroups left none out.
          if (want.length < maxGroups)
            expect({ i, groups: order(answers[i] ?? []) }).toEqual({ i, groups: order(want) });
        }
        const top = (await store.groupMany([cases[0]!.query], 3))[0] ?? [];
        expect(order(top).map((g) => [g.group, g.count])).toEqual([
          [["/pay"], 18],
          [["/cart"], 12],
          [[null], 6],
        ]);
      });

      test("countMany agrees with count for many windows, with `to` on and off a minute, after a replay", async () => {
        const services = [fresh("grid"), fresh("grid")];
        const word = freshWord();
        const windows = [1, 2, 5, 7, 30, 61];
        // `to` one second after a whole minute, and `to` exactly on one; events on, just before and just
        // after every window's start, at `to` itself, and spread at random over the longest window.
        const base = Math.floor((Date.now() - 10 * MINUTE) / MINUTE) * MINUTE;
        const tos = [base + 1000, base];
        let seed = 7;
        const rand = () => {
          seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
          return seed / 2_147_483_648;
        };
        const evs: LogEvent[] = [];
        const add = (ts: number) =>
          evs.push(
            event(ts, {
              service: services[evs.length % 2]!,
              level: evs.length % 3 === 0 ? "ERROR" : "INFO",
              message: evs.length % 4 === 0 ? `${word} seen` : "plain",
            }),
          );
        for (const to of tos) {
          for (const w of [0, ...windows]) for (const dt of [-1, 0, 1]) add(to - w * MINUTE + dt);
        }
        for (let k = 0; k < 300; k++) add(base - Math.floor(rand() * 62 * MINUTE));
        await store.write(evs);
        await store.write(evs.slice(0, 100)); // a replay changes no count
        const filters: LogFilter[] = [];
        for (const to of tos) {
          // 0: a window of one instant (from = to), in the same group as the others.
          for (const w of [0, ...windows]) {
            filters.push({ services, from: to - w * MINUTE, to });
            filters.push({ services: [services[0]!], levels: ["ERROR"], from: to - w * MINUTE, to });
            filters.push({ services, text: word, from: to - w * MINUTE, to });
          }
        }
        const expected = await Promise.all(filters.map((f) => store.count(f)));
        expect(expected.some((n) => n > 0)).toBe(true);
        expect(await store.countMany(filters)).toEqual(expected);

        // Histograms with edges inside minutes agree with the events themselves, bucket by bucket.
        const from = base - 62 * MINUTE + 1234;
        const to = base + 999;
        for (const interval of [MINUTE, 5 * MINUTE]) {
          for (const levels of [undefined, ["ERROR" as Level]]) {
            const want = new Map<number, number>();
            for (const e of evs) {
              const ts = Date.parse(e.timestamp);
              if (ts < from || ts > to || (levels && !levels.includes(e.level))) continue;
              const b = Math.floor(ts / interval) * interval;
              want.set(b, (want.get(b) ?? 0) + 1);
            }
            const got = await store.histogram({ services, levels, from, to }, interval);
            expect(got.filter((b) => b.count > 0).map((b) => [b.start, b.count])).toEqual(
              [...want.entries()].sort((a, b) => a[0] - b[0]),
            );
          }
        }

        // So do breakdowns, over the same odd edges and with one end open.
        for (const range of [{ from, to }, { from }, { to }]) {
          for (const by of ["service", "level"] as const) {
            const want = new Map<string, number>();
            for (const e of evs) {
              const ts = Date.parse(e.timestamp);
              if ((range.from !== undefined && ts < range.from) || (range.to !== undefined && ts > range.to))
                continue;
              want.set(e[by], (want.get(e[by]) ?? 0) + 1);
            }
            const got = await store.breakdown({ services, ...range }, by);
            expect(Object.fromEntries(got.map((c) => [c.key, c.count]))).toEqual(Object.fromEntries(want));
          }
        }
      });

      test("histogram buckets align to the interval, include empty ones and respect the inclusive range", async () => {
        const service = fresh("histo");
        const t0 = Math.floor((Date.now() - 3 * HOUR) / MINUTE) * MINUTE;
        const at = (ms: number, level: Level) => event(t0 + ms, { service, level });
        await store.write([
          at(10_000, "INFO"), // before `from`
          at(15_000, "INFO"), // exactly `from`: bucket 0
          at(59_999, "ERROR"), // bucket 0
          at(MINUTE, "ERROR"), // exactly on an edge: bucket 1
          at(2 * MINUTE, "WARNING"),
          at(2 * MINUTE + 30_000, "DEBUG"),
          // bucket 3 is empty
          at(4 * MINUTE + 1, "CRITICAL"),
          at(5 * MINUTE + 10_000, "INFO"), // exactly `to`: bucket 5
          at(5 * MINUTE + 10_001, "INFO"), // after `to`
        ]);
        const range = { services: [service], from: t0 + 15_000, to: t0 + 5 * MINUTE + 10_000 };

        const buckets = await store.histogram(range, MINUTE);
        expect(buckets.map((b) => b.start)).toEqual([0, 1, 2, 3, 4, 5].map((i) => t0 + i * MINUTE));
        expect(buckets.map((b) => b.count)).toEqual([2, 1, 2, 0, 1, 1]);
        for (const b of buckets) {
          expect(Object.keys(b.levels).sort()).toEqual([...LEVELS].sort());
          expect(Object.values(b.levels).reduce((x, y) => x + y, 0)).toBe(b.count);
        }
        expect(buckets[0]?.levels).toEqual({ DEBUG: 0, INFO: 1, WARNING: 0, ERROR: 1, CRITICAL: 0 });
        expect(buckets[2]?.levels).toEqual({ DEBUG: 1, INFO: 0, WARNING: 1, ERROR: 0, CRITICAL: 0 });
        expect(buckets[3]?.levels).toEqual({ DEBUG: 0, INFO: 0, WARNING: 0, ERROR: 0, CRITICAL: 0 });
        expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(await store.count(range));

        const errors = await store.histogram({ ...range, levels: ["ERROR"] }, MINUTE);
        expect(errors.map((b) => b.count)).toEqual([1, 1, 0, 0, 0, 0]);

        const hourly = await store.histogram(range, HOUR);
        for (const b of hourly) expect(b.start % HOUR).toBe(0);
        expect(hourly[0]?.start).toBeLessThanOrEqual(range.from);
        expect(hourly.reduce((n, b) => n + b.count, 0)).toBe(7);

        const fromOnEdge = await store.histogram({ ...range, from: t0 + MINUTE }, MINUTE);
        expect(fromOnEdge.map((b) => b.count)).toEqual([1, 2, 0, 1, 1]);

        const empty = await store.histogram(
          { services: [fresh("none")], from: t0, to: t0 + 3 * MINUTE - 1 },
          MINUTE,
        );
        expect(empty.map((b) => b.count)).toEqual([0, 0, 0]);
      });

      test("breakdown counts by service and by level, largest first, up to limit", async () => {
        const correlation = crypto.randomUUID();
        const [s1, s2, s3] = [fresh("bd1"), fresh("bd2"), fresh("bd3")];
        const now = Date.now() - 10_000;
        const plan: [string, Level][] = [
          [s2, "ERROR"],
          [s1, "ERROR"],
          [s1, "ERROR"],
          [s1, "INFO"],
          [s3, "ERROR"],
          [s2, "INFO"],
          [s1, "DEBUG"],
          [s2, "INFO"],
          [s1, "DEBUG"],
        ];
        await store.write(
          plan.map(([service, level], i) => event(now - i, { service, level, correlation_id: correlation })),
        );
        const filter = { correlationId: correlation };
        expect(await store.breakdown(filter, "service")).toEqual([
          { key: s1, count: 5 },
          { key: s2, count: 3 },
          { key: s3, count: 1 },
        ]);
        expect(await store.breakdown(filter, "service", 2)).toEqual([
          { key: s1, count: 5 },
          { key: s2, count: 3 },
        ]);
        expect(await store.breakdown(filter, "level")).toEqual([
          { key: "ERROR", count: 4 },
          { key: "INFO", count: 3 },
          { key: "DEBUG", count: 2 },
        ]);
        expect(await store.breakdown({ ...filter, services: [s2] }, "level")).toEqual([
          { key: "INFO", count: 2 },
          { key: "ERROR", count: 1 },
        ]);
      });

      test("topMessages counts identical messages, largest first, up to limit", async () => {
        const service = fresh("top");
        const now = Date.now() - 20_000;
        const messages = ["timeout calling db", "cache miss", "timeout calling db", "user login"];
        messages.push("timeout calling db", "cache miss", "timeout calling db");
        await store.write(messages.map((message, i) => event(now - i, { service, message })));
        expect(await store.topMessages({ services: [service] }, 10)).toEqual([
          { key: "timeout calling db", count: 4 },
          { key: "cache miss", count: 2 },
          { key: "user login", count: 1 },
        ]);
        expect(await store.topMessages({ services: [service] }, 1)).toEqual([
          { key: "timeout calling db", count: 4 },
        ]);
        expect(await store.topMessages({ services: [service], text: "cache" }, 10)).toEqual([
          { key: "cache miss", count: 2 },
        ]);
      });

      test("patternCounts groups by pattern id: counts, a sparkline per interval, the newest event of each", async () => {
        const service = fresh("patterns");
        const base = Math.floor((Date.now() - 10 * 60_000) / 60_000) * 60_000;
        const written = [
          event(base + 1_000, { service, message: "a 1", pattern: "pa" }),
          event(base + 61_000, { service, message: "a 2", pattern: "pa" }),
          event(base + 62_000, { service, message: "a 3", pattern: "pa" }),
          event(base + 2_000, { service, message: "b 1", pattern: "pb" }),
          event(base + 121_000, { service, message: "b 2", pattern: "pb", level: "ERROR" }),
          event(base + 3_000, { service, message: "c 1", pattern: "pc" }),
          event(base + 4_000, { service, message: "old line" }),
        ];
        await store.write(written);
        const range = { services: [service], from: base, to: base + 179_999 };
        const counts = await store.patternCounts(range, 60_000, 2);
        expect(counts.total).toBe(7);
        expect(counts.withoutPattern).toBe(1);
        expect(counts.patterns.map((p) => [p.id, p.count, p.buckets])).toEqual([
          ["pa", 3, [1, 2, 0]],
          ["pb", 2, [1, 0, 1]],
        ]);
        expect(counts.patterns[0]?.sample).toEqual(written[2]!);
        expect(counts.patterns[1]?.sample).toEqual(written[4]!);
        // Every filter narrows as in search.
        const errors = await store.patternCounts({ ...range, levels: ["ERROR"] }, 60_000, 10);
        expect(errors.patterns.map((p) => [p.id, p.count])).toEqual([["pb", 1]]);
        expect(await store.patternCounts({ ...range, from: range.to + 1 }, 60_000, 10)).toEqual({
          total: 0,
          withoutPattern: 0,
          patterns: [],
        });
      });
    });

    describe("operations", () => {
      test("stats count every event and bracket their times", async () => {
        const before = await store.stats();
        const ts = Date.now() - 7_000;
        const events = Array.from({ length: 5 }, (_, i) => event(ts - i, { service: fresh("stats") }));
        await store.write(events);
        const after = await store.stats();
        expect(after.events).toBe(before.events + 5);
        expect(after.bytes).toBeGreaterThan(0);
        expect(after.oldest).not.toBeNull();
        expect(after.newest).not.toBeNull();
        expect(after.oldest as number).toBeLessThanOrEqual(ts - 4);
        expect(after.newest as number).toBeGreaterThanOrEqual(ts);
      });

      test("health reports healthy", async () => {
        expect((await store.health()).status).toBe("healthy");
      });

      test("deleteOlderThan removes whole old days and the older part of the cutoff's day", async () => {
        // The only test with events this old, so the exact number removed is known.
        const service = fresh("retention");
        const today = Math.floor(Date.now() / DAY);
        // Mid-minute: part of the cutoff's minute goes, part stays.
        const cutoff = (today - 38) * DAY + 12 * HOUR + 30_000;
        const old = [
          event((today - 40) * DAY + HOUR, { service }),
          event((today - 40) * DAY + 2 * HOUR, { service }),
          event((today - 39) * DAY + 5 * HOUR, { service }),
          event(cutoff - HOUR, { service }),
          event(cutoff - 1, { service }),
        ];
        const kept = [
          event(cutoff, { service }),
          event(cutoff + 1, { service }),
          event((today - 37) * DAY + HOUR, { service }),
        ];
        await store.write([...old, ...kept]);

        expect(await store.deleteOlderThan(cutoff)).toBe(old.length);
        for (const e of old) expect(await store.get(e.id)).toBeNull();
        for (const e of kept) expect(await store.get(e.id)).toEqual(e);
        expect(await store.count({ services: [service] })).toBe(kept.length);
        // Grouped counts over windows reaching across the cutoff see only what is left.
        const to = cutoff + 2 * MINUTE + 500;
        const windows = [3, 90].map((w) => ({ services: [service], from: to - w * MINUTE, to }));
        expect(await store.countMany(windows)).toEqual([2, 2]);
        expect(await store.deleteOlderThan(cutoff)).toBe(0);

        // A day emptied by retention takes writes again.
        const late = event((today - 40) * DAY + 3 * HOUR, { service });
        expect(await store.write([late])).toEqual({ written: 1, duplicates: 0 });
        expect(await store.get(late.id)).toEqual(late);
        expect(await store.deleteOlderThan(cutoff)).toBe(1);
      });

      test("deleteServicesOlderThan removes only the named services' events older than the cutoff", async () => {
        const [a, b, other] = [fresh("svc-retention-a"), fresh("svc-retention-b"), fresh("svc-retention-c")];
        const cutoff = Date.now() - 3 * DAY + 30_000; // mid-minute: the cutoff's minute is split
        const old = [a, b].flatMap((service) => [
          event(cutoff - 2 * HOUR, { service }),
          event(cutoff - 1, { service }),
        ]);
        const kept = [
          ...[a, b].flatMap((service) => [event(cutoff, { service }), event(cutoff + HOUR, { service })]),
          event(cutoff - 2 * HOUR, { service: other }),
          event(cutoff - 1, { service: other }),
        ];
        await store.write([...old, ...kept]);

        expect(await store.deleteServicesOlderThan([a, b], cutoff)).toBe(old.length);
        for (const e of old) expect(await store.get(e.id)).toBeNull();
        for (const e of kept) expect(await store.get(e.id)).toEqual(e);
        // Grouped counts (per-minute counts on Postgres) see only what is left, the split minute included.
        const from = cutoff - 3 * HOUR;
        const to = cutoff + 2 * HOUR;
        expect(await store.countMany([a, b, other].map((s) => ({ services: [s], from, to })))).toEqual([
          2, 2, 2,
        ]);
        expect(await store.deleteServicesOlderThan([a, b], cutoff)).toBe(0);
        expect(await store.deleteServicesOlderThan([], cutoff)).toBe(0);
      });
    });
  });
}
