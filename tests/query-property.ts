import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { LogEvent } from "../core/log-event.ts";
import type { QueryNode } from "../core/query/ast.ts";
import { matches } from "../core/query/evaluate.ts";
import { formatQuery } from "../core/query/format.ts";
import { parseLogQuery } from "../core/query/parse.ts";
import { logEvent } from "./helpers/events.ts";
import { Random, randomEvents, randomQueryText } from "./helpers/random-query.ts";

/** What an engine supplies to be held to the reference evaluator. */
export interface QueryEngine {
  /** Store the events; called once, before any search. */
  load(events: LogEvent[]): Promise<void>;
  /** Ids of the stored events the query selects, in any order. */
  search(query: QueryNode): Promise<string[]>;
  close(): Promise<void>;
}

/** Events of one UTC hour (one day partition, one daily index), a fixed day so that runs repeat. */
const START = Date.UTC(2026, 0, 15, 10);

/**
 * The seed of the random events and queries: fixed so that CI repeats itself; LOGFLOW_QUERY_SEED=n
 * explores others (a failure names the seed and the query, which reproduce it).
 */
const SEED = Number(process.env.LOGFLOW_QUERY_SEED ?? 20_260_115);
const RANDOM_EVENTS = 500;
const RANDOM_QUERIES = 600;

/** Events written for the examples, where each feature has something to find and something to miss. */
function fixture(): LogEvent[] {
  const at = (k: number, fields: Partial<LogEvent>) => logEvent(START + k * 1000, fields);
  return [
    at(1, {
      service: "payment-service",
      level: "ERROR",
      message: "card declined for user u_42",
      host: "web-3",
      attributes: { status: 502, latency_ms: 412, route: "/api/v1/pay", user_id: "u_42", ok: false },
    }),
    at(2, {
      service: "checkout",
      level: "WARNING",
      message: "GET /api/v1/users/u_420/profile 200 in 19ms",
      host: "web-30",
      trace_id: "4bf92f3577b34da6",
      attributes: { status: "200", latency_ms: "19", route: "/api/v1/users", "http.status": 200 },
    }),
    at(3, {
      service: "checkout",
      level: "INFO",
      message: "java.lang.NullPointerException at Cart.java:42",
      correlation_id: "c0ffee00-1111",
      attributes: { status: "500.0", latency_ms: 99.5, note: "1e3", service: "shadow", region: "eu west" },
    }),
    at(4, {
      service: "auth",
      level: "CRITICAL",
      message: "payment service unreachable: timeout after 250 ms",
      attributes: { latency_ms: 250, "k8s.io/app": "auth", big: 1e21 },
    }),
  ];
}

/** Queries that exercise each part of the grammar on the fixture; each selects some events, not all. */
export const EXAMPLES = [
  "card declined",
  '"card declined" -timeout',
  "u_42",
  "payment or timeout",
  "service:checkout level:warn",
  "level:(error OR critical)",
  "host:web-3",
  "host:web-3*",
  "trace_id:4bf92f3577b34da6",
  "correlation_id:*",
  "status:502",
  "http.status:200",
  "attributes.service:shadow",
  "user_id:u_42",
  "route:/api/v1/*",
  'region:"eu west"',
  "latency_ms:>250",
  "latency_ms:>=250",
  "latency_ms:<100",
  "latency_ms:[19 TO 250]",
  "status:[200 TO 502]",
  "user_id:*",
  "time*",
  "java.lang.Null*",
  'message:"payment service"',
  "message:payment",
  "(card OR timeout) AND NOT service:auth",
  "-(level:error OR level:critical)",
  "service:(checkout OR auth) -host:*",
  "ok:false",
  "big:1e+21",
  "k8s.io/app:auth",
];

/**
 * The property every engine is held to: the events its compiled query selects are the ones the reference
 * evaluator (core/query/evaluate.ts) selects, for the grammar's examples and for random queries from
 * the grammar over random events.
 */
export function runQueryProperty(name: string, open: () => Promise<QueryEngine>): void {
  describe(name, () => {
    let engine: QueryEngine;
    const events = [...fixture(), ...randomEvents(new Random(SEED), RANDOM_EVENTS, START)];

    beforeAll(async () => {
      engine = await open();
      await engine.load(events);
    }, 120_000);

    afterAll(async () => {
      await engine?.close();
    }, 60_000);

    /** Where the engine and the evaluator disagree on a query, or null. */
    async function disagreement(q: string, tree: QueryNode) {
      const expected = events.filter((e) => matches(tree, e)).map((e) => e.id.toLowerCase());
      const got = (await engine.search(tree)).map((id) => id.toLowerCase());
      const want = new Set(expected);
      const have = new Set(got);
      const missing = events.filter((e) => want.has(e.id) && !have.has(e.id));
      const extra = events.filter((e) => have.has(e.id) && !want.has(e.id));
      if (missing.length === 0 && extra.length === 0 && got.length === have.size)
        return { matched: want.size };
      return {
        matched: want.size,
        differ: { q, understood: formatQuery(tree), missing: missing.slice(0, 3), extra: extra.slice(0, 3) },
      };
    }

    test("the grammar's examples select what the evaluator selects, some events and not all", async () => {
      const fixtureIds = new Set(fixture().map((e) => e.id));
      for (const q of EXAMPLES) {
        const tree = parseLogQuery(q);
        const { differ } = await disagreement(q, tree);
        expect(differ).toBeUndefined();
        const inFixture = fixture().filter((e) => matches(tree, e)).length;
        expect({ q, selectsSomeButNotAll: inFixture > 0 && inFixture < fixtureIds.size }).toEqual({
          q,
          selectsSomeButNotAll: true,
        });
      }
    }, 60_000);

    test(`random queries over random events select what the evaluator selects (seed ${SEED})`, async () => {
      const r = new Random(SEED + 1);
      const differences: unknown[] = [];
      let selective = 0;
      for (let k = 0; k < RANDOM_QUERIES; k++) {
        const q = randomQueryText(r);
        const { matched, differ } = await disagreement(q, parseLogQuery(q));
        if (differ) differences.push(differ);
        if (matched > 0 && matched < events.length) selective++;
      }
      expect(differences.slice(0, 5)).toEqual([]);
      // Most queries select some events and miss others, so a wrong engine cannot agree by accident.
      expect(selective).toBeGreaterThan(RANDOM_QUERIES * 0.5);
    }, 240_000);
  });
}
