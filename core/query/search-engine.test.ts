import { describe, expect, test } from "bun:test";
import { parseLogQuery } from "./parse.ts";
import {
  keywordAttributes,
  keywordPairPrefix,
  literalRegex,
  numericAttributes,
  toSearchQuery,
} from "./search-engine.ts";

const dsl = (q: string) => toSearchQuery(parseLogQuery(q));

describe("query → Elasticsearch/OpenSearch DSL", () => {
  test("words are terms of the search field, phrases match_phrase, a prefix in a phrase a span", () => {
    expect(dsl("payment -u_42 or time*")).toEqual({
      bool: {
        should: [
          {
            bool: {
              filter: [
                { term: { search: "payment" } },
                { bool: { must_not: [{ match_phrase: { search: { query: "u 42" } } }] } },
              ],
            },
          },
          { prefix: { search: { value: "time" } } },
        ],
        minimum_should_match: 1,
      },
    });
    expect(dsl("message:java.lang.null*")).toEqual({
      span_near: {
        clauses: [
          { span_term: { message: "java" } },
          { span_term: { message: "lang" } },
          { span_multi: { match: { prefix: { message: { value: "null" } } } } },
        ],
        slop: 0,
        in_order: true,
      },
    });
  });

  test("fields are term-level queries: values are never parsed by the engine", () => {
    expect(dsl('level:warn user_id:"a* OR b" route:/api/* host:* k:*')).toEqual({
      bool: {
        filter: [
          { term: { level: "WARNING" } },
          { term: { "attributes.user_id": "a* OR b" } },
          { prefix: { "attributes.route": { value: "/api/" } } },
          { exists: { field: "host" } },
          { prefix: { "attributes.k": { value: "" } } },
        ],
      },
    });
  });

  test("ranges are nested queries over the numeric attributes", () => {
    expect(dsl("latency_ms:>250")).toEqual({
      nested: {
        path: "attributes_numeric",
        query: {
          bool: {
            filter: [
              { term: { "attributes_numeric.key": "latency_ms" } },
              { range: { "attributes_numeric.value": { gt: 250 } } },
            ],
          },
        },
      },
    });
    expect(numericAttributes({ a: 1.5, b: "250", c: "1e3", d: true, e: "x" })).toEqual([
      { key: "a", value: 1.5 },
      { key: "b", value: 250 },
    ]);
  });

  test("attributes as key\u0000value keywords, and keys as literal regular expressions", () => {
    expect(keywordAttributes({ "http.status": 500, ok: true, route: "/a b", "a\u0000b": "x" })).toEqual([
      "http.status\u0000500",
      "ok\u0000true",
      "route\u0000/a b",
    ]);
    expect(literalRegex(keywordPairPrefix("@a/b-c.d_é1"))).toBe("\\@a\\/b\\-c\\.d_é1\\\u0000");
  });

  test("blank is match_all; text without a word match_none", () => {
    expect(dsl("")).toEqual({ match_all: {} });
    expect(dsl("%")).toEqual({ match_none: {} });
  });
});
