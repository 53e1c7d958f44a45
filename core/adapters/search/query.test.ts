import { describe, expect, test } from "bun:test";
import { QueryError } from "../../query/parse.ts";
import { MAX_SEARCH_TERMS } from "../../search-text.ts";
import { filterQuery, textClause } from "./query.ts";

describe("the filter's query as term-level clauses", () => {
  test("words are terms over the search field; fields are terms on their own field", () => {
    expect(textClause("payment service:checkout")).toEqual({
      bool: { filter: [{ term: { search: "payment" } }, { term: { service: "checkout" } }] },
    });
    expect(textClause("http.status:502")).toEqual({ term: { "attributes.http.status": "502" } });
  });

  test("what would be the engine's syntax is a value, never an operator", () => {
    expect(textClause('{"script":"x"}')).toEqual({
      bool: { filter: [{ term: { search: "script" } }, { term: { search: "x" } }] },
    });
    expect(textClause("_exists_:service")).toEqual({ term: { "attributes._exists_": "service" } });
  });

  test("text without a letter or digit matches nothing, not everything", () => {
    for (const junk of ["%", "-", '"', "&|!", "\\", "<->"]) {
      expect(textClause(junk)).toEqual({ match_none: {} });
    }
  });

  test("more terms than the limit, and text that cannot be parsed, are a QueryError (400)", () => {
    const many = Array.from({ length: MAX_SEARCH_TERMS + 1 }, (_, i) => `w${i}`).join(" ");
    expect(() => textClause(many)).toThrow(QueryError);
    expect(() => textClause("latency_ms:>abc")).toThrow(QueryError);
  });
});

describe("filters as a bool query", () => {
  test("an empty filter is match_all; empty lists and blank text do not narrow", () => {
    expect(filterQuery({})).toEqual({ match_all: {} });
    expect(filterQuery({ services: [], levels: [], text: "  " })).toEqual({ match_all: {} });
  });

  test("bounds are inclusive epoch milliseconds (the upper one with its microseconds)", () => {
    expect(filterQuery({ from: 1, to: 2, services: ["a"] })).toEqual({
      bool: {
        filter: [
          { terms: { service: ["a"] } },
          { range: { timestamp: { gte: 1, lt: 3, format: "epoch_millis" } } },
        ],
      },
    });
  });
});
