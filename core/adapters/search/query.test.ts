import { describe, expect, test } from "bun:test";
import { AppError } from "../../errors.ts";
import { MAX_SEARCH_TERMS, parseSearchText } from "../../search-text.ts";
import { filterQuery, textClause, toSimpleQueryString } from "./query.ts";

describe("search-box text as simple_query_string", () => {
  test("words are ANDed phrases, `or` separates groups, `-` excludes", () => {
    expect(toSimpleQueryString("payment failed")).toBe('("payment" "failed")');
    expect(toSimpleQueryString('"connection reset" -peer')).toBe('("connection reset" -"peer")');
    expect(toSimpleQueryString("failed or succeeded OR x")).toBe('("failed") | ("succeeded") | ("x")');
    expect(toSimpleQueryString('-"exact phrase" word')).toBe('(-"exact phrase" "word")');
  });

  test("user text never carries an operator: quotes and backslashes are escaped inside phrases", () => {
    // a\"b: the word `a\` (its backslash escaped) and the unclosed phrase `b`.
    expect(toSimpleQueryString('a\\"b')).toBe('("a\\\\" "b")');
    expect(toSimpleQueryString("pay* fo~2 (x|y) +z")).toBe('("pay*" "fo~2" "(x|y)" "+z")');
    expect(toSimpleQueryString('message:payment _exists_:service {"script":"x"}')).toBe(
      '("message:payment" "_exists_:service" "script" "x")',
    );
  });

  test("text without a letter or digit is no query at all (matches nothing), not everything", () => {
    for (const junk of ["*:*", "*", "-", '"', "()", "&|!", "\\", "<->", ":*", "-*", "or", "OR or"]) {
      expect(toSimpleQueryString(junk)).toBeNull();
      expect(textClause(junk)).toEqual({ match_none: {} });
    }
  });

  test("an unclosed quote runs to the end; a lone dash is punctuation", () => {
    expect(parseSearchText('"unbalanced quote')).toEqual([[{ negated: false, text: "unbalanced quote" }]]);
    expect(parseSearchText("a - b")).toEqual([
      [
        { negated: false, text: "a" },
        { negated: false, text: "b" },
      ],
    ]);
  });

  test("more words than the engine's clause budget is a bad request, not an engine error", () => {
    const many = Array.from({ length: MAX_SEARCH_TERMS + 1 }, (_, i) => `w${i}`).join(" ");
    expect(() => toSimpleQueryString(many)).toThrow(AppError);
    expect(toSimpleQueryString(many.split(" ").slice(1).join(" "))).not.toBeNull();
  });

  test("only whitelisted operators: no prefix, fuzzy or slop expansion", () => {
    const clause = textClause("payment") as { simple_query_string: { flags: string } };
    expect(clause.simple_query_string.flags.split("|").sort()).toEqual(
      ["AND", "ESCAPE", "NOT", "OR", "PHRASE", "PRECEDENCE", "WHITESPACE"].sort(),
    );
  });
});

describe("filters as a bool query", () => {
  test("an empty filter is match_all; empty lists and blank text do not narrow", () => {
    expect(filterQuery({})).toEqual({ match_all: {} });
    expect(filterQuery({ services: [], levels: [], text: "  " })).toEqual({ match_all: {} });
  });

  test("bounds are inclusive epoch milliseconds", () => {
    expect(filterQuery({ from: 1, to: 2, services: ["a"] })).toEqual({
      bool: {
        filter: [
          { terms: { service: ["a"] } },
          { range: { timestamp: { gte: 1, lte: 2, format: "epoch_millis" } } },
        ],
      },
    });
  });
});
