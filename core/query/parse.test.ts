import { describe, expect, test } from "bun:test";
import { Random, randomEvents, randomQueryText } from "../../tests/helpers/random-query.ts";
import { integrationTimeouts } from "../../tests/helpers/timeouts.ts";
import { MAX_SEARCH_TERMS, parseSearchText, searchWords } from "../search-text.ts";
import type { QueryNode } from "./ast.ts";
import { MAX_QUERY_CHARS, MAX_QUERY_DEPTH } from "./ast.ts";
import { matches } from "./evaluate.ts";
import { formatQuery } from "./format.ts";
import { parseLogQuery, QueryError } from "./parse.ts";

// CPU-heavy (many random cases): a loaded CI machine runs it several times slower.
integrationTimeouts();

const text = (words: string[], prefix = false, messageOnly = false): QueryNode => ({
  type: "text",
  words,
  prefix,
  messageOnly,
});
const attr = (name: string) => ({ kind: "attribute", name }) as const;
const col = (name: "service" | "level" | "host" | "trace_id" | "correlation_id") =>
  ({ kind: "column", name }) as const;
/** A `field:value` term as the parser gives it. */
const eq = (field: ReturnType<typeof attr> | ReturnType<typeof col>, value: string): QueryNode => ({
  type: "equals",
  field,
  value,
});

/** The error a text gives: position and what was expected. */
function failure(q: string): { position: number; expected: string } {
  try {
    parseLogQuery(q);
  } catch (err) {
    if (err instanceof QueryError) return { position: err.position, expected: err.expected };
    throw err;
  }
  throw new Error(`${JSON.stringify(q)} parsed`);
}

describe("the search box's syntax keeps its meaning", () => {
  test("words are ANDed; a term of several words is a phrase; or separates; - excludes", () => {
    expect(parseLogQuery("payment failed")).toEqual({
      type: "and",
      children: [text(["payment"]), text(["failed"])],
    });
    expect(parseLogQuery("u_56441")).toEqual(text(["u", "56441"]));
    expect(parseLogQuery("/api/v1/users")).toEqual(text(["api", "v1", "users"]));
    expect(parseLogQuery('"connection reset" -timeout')).toEqual({
      type: "and",
      children: [text(["connection", "reset"]), { type: "not", child: text(["timeout"]) }],
    });
    // OR binds loosest: (a) or (b c).
    expect(parseLogQuery("a or b c")).toEqual({
      type: "or",
      children: [text(["a"]), { type: "and", children: [text(["b"]), text(["c"])] }],
    });
    expect(parseLogQuery("-/api/v1")).toEqual({ type: "not", child: text(["api", "v1"]) });
  });

  test("an unclosed quote runs to the end; a lone dash and a dangling or are ignored", () => {
    expect(parseLogQuery('"unbalanced quote')).toEqual(text(["unbalanced", "quote"]));
    expect(parseLogQuery("a - b")).toEqual({ type: "and", children: [text(["a"]), text(["b"])] });
    expect(parseLogQuery("error or")).toEqual(text(["error"]));
    expect(parseLogQuery("or error")).toEqual(text(["error"]));
    expect(parseLogQuery("(a OR) OR b")).toEqual({ type: "or", children: [text(["a"]), text(["b"])] });
    expect(parseLogQuery("-or")).toEqual({ type: "not", child: text(["or"]) });
    expect(parseLogQuery('"or"')).toEqual(text(["or"]));
  });

  test("terms without a word narrow nothing; a query of only such terms matches nothing", () => {
    expect(parseLogQuery("error %")).toEqual(text(["error"]));
    expect(parseLogQuery("% or error")).toEqual(text(["error"]));
    for (const junk of ["*:*", "%", "-", '"', "'", "<->", "()", "or", "🔥", "-%", "(% OR %)", "*"]) {
      expect(parseLogQuery(junk)).toEqual({ type: "none" });
    }
  });

  test("blank text is every event", () => {
    expect(parseLogQuery("")).toEqual({ type: "all" });
    expect(parseLogQuery("  \t ")).toEqual({ type: "all" });
  });

  test("a colon with nothing after it, a URL and a time stay text", () => {
    expect(parseLogQuery("error: refused")).toEqual({
      type: "and",
      children: [text(["error"]), text(["refused"])],
    });
    expect(parseLogQuery("https://h.io/p")).toEqual(text(["https", "h", "io", "p"]));
    expect(parseLogQuery("10:15:00")).toEqual(text(["10", "15", "00"]));
    expect(parseLogQuery("key=user:42")).toEqual(text(["key", "user", "42"]));
  });

  test("parentheses inside a word belong to it", () => {
    expect(parseLogQuery("fn(x)")).toEqual(text(["fn", "x"]));
    expect(parseLogQuery("(fn(x) y)")).toEqual({ type: "and", children: [text(["fn", "x"]), text(["y"])] });
    expect(parseLogQuery("a)b")).toEqual(text(["a", "b"]));
  });
});

describe("fields", () => {
  test("service, level (with ingest's aliases), host, ids and attributes", () => {
    expect(parseLogQuery("service:checkout")).toEqual(eq(col("service"), "checkout"));
    expect(parseLogQuery("level:warn")).toEqual(eq(col("level"), "WARNING"));
    expect(parseLogQuery("level:FATAL")).toEqual(eq(col("level"), "CRITICAL"));
    expect(parseLogQuery("host:web-3")).toEqual(eq(col("host"), "web-3"));
    expect(parseLogQuery("trace_id:4bf9")).toEqual(eq(col("trace_id"), "4bf9"));
    expect(parseLogQuery("http.status:500")).toEqual(eq(attr("http.status"), "500"));
    expect(parseLogQuery("attributes.user_id:U_42")).toEqual(eq(attr("user_id"), "U_42"));
    // The prefix reaches an attribute named like a column.
    expect(parseLogQuery("attributes.service:x")).toEqual(eq(attr("service"), "x"));
    expect(parseLogQuery('route:"/api/v1/users"')).toEqual(eq(attr("route"), "/api/v1/users"));
    expect(parseLogQuery('note:"say \\"hi\\" \\\\o/"')).toEqual(eq(attr("note"), 'say "hi" \\o/'));
  });

  test("numbers: comparisons and inclusive ranges, on attributes", () => {
    expect(parseLogQuery("latency_ms:>250")).toEqual({
      type: "range",
      attribute: "latency_ms",
      lower: { value: 250, inclusive: false },
    });
    expect(parseLogQuery("latency_ms:<=-1.5")).toEqual({
      type: "range",
      attribute: "latency_ms",
      upper: { value: -1.5, inclusive: true },
    });
    expect(parseLogQuery("latency_ms:[100 TO 5e2]")).toEqual({
      type: "range",
      attribute: "latency_ms",
      lower: { value: 100, inclusive: true },
      upper: { value: 500, inclusive: true },
    });
  });

  test("existence and prefixes", () => {
    expect(parseLogQuery("user_id:*")).toEqual({ type: "exists", field: attr("user_id") });
    expect(parseLogQuery("host:*")).toEqual({ type: "exists", field: col("host") });
    expect(parseLogQuery("service:*")).toEqual({ type: "all" });
    expect(parseLogQuery("route:/api/v1/*")).toEqual({
      type: "prefix",
      field: attr("route"),
      value: "/api/v1/",
    });
    expect(parseLogQuery('route:"/a b"*')).toEqual({ type: "prefix", field: attr("route"), value: "/a b" });
    expect(parseLogQuery("time*")).toEqual(text(["time"], true));
    expect(parseLogQuery("java.lang.Null*")).toEqual(text(["java", "lang", "null"], true));
  });

  test("message: restricts text to the message", () => {
    expect(parseLogQuery('message:"card declined"')).toEqual(text(["card", "declined"], false, true));
    expect(parseLogQuery("message:card*")).toEqual(text(["card"], true, true));
    expect(parseLogQuery("message:(card OR declined)")).toEqual({
      type: "or",
      children: [text(["card"], false, true), text(["declined"], false, true)],
    });
  });

  test("groups, AND, OR, NOT and - before any term or group; field:(a OR b)", () => {
    const svc = (v: string): QueryNode => eq(col("service"), v);
    expect(parseLogQuery("service:(checkout OR payment) -level:debug")).toEqual({
      type: "and",
      children: [
        { type: "or", children: [svc("checkout"), svc("payment")] },
        { type: "not", child: eq(col("level"), "DEBUG") },
      ],
    });
    expect(parseLogQuery("NOT (a OR b) AND c")).toEqual({
      type: "and",
      children: [{ type: "not", child: { type: "or", children: [text(["a"]), text(["b"])] } }, text(["c"])],
    });
    expect(parseLogQuery("service:(checkout AND NOT payment)")).toEqual({
      type: "and",
      children: [svc("checkout"), { type: "not", child: svc("payment") }],
    });
    expect(parseLogQuery("a and b")).toEqual({ type: "and", children: [text(["a"]), text(["b"])] });
    expect(parseLogQuery("--x")).toEqual(text(["x"]));
  });
});

describe("errors name the position and what was expected", () => {
  test.each([
    ["a AND", 5, "a term after AND"],
    ["NOT", 3, "a term after NOT"],
    ["(a b", 4, '")" to close the "(" at 0'],
    ["x:[1 TO", 7, "a space after TO"],
    ["x:[1 2]", 5, "TO"],
    ["x:[a TO 2]", 3, "a number"],
    ["x:[1 TO 2", 9, '"]" to close the range at 2'],
    ["x:>abc", 3, "a number after >"],
    ["x:{1 TO 2}", 2, '"[" (a range includes both ends; quote a value that starts with {)'],
    ["a*", 1, "at least 2 letters or digits right before * (a prefix)"],
    ["route:/*", 7, "at least 2 characters before * (a prefix)"],
    ["x:a*b", 3, "* only at the end of a value (a prefix); quote the value to match * itself"],
  ])("%p", (q, position, expected) => {
    expect(failure(q)).toEqual({ position, expected });
  });

  test("level takes a level; comparisons take a numeric attribute", () => {
    expect(failure("level:loud").expected).toStartWith("a level: DEBUG, INFO, WARNING, ERROR, CRITICAL");
    expect(failure("level:err*").position).toBe(6);
    expect(failure("service:>5")).toEqual({
      position: 8,
      expected: "a value (service is text; >, >=, <, <= and [a TO b] compare numeric attributes)",
    });
    expect(failure("message:[1 TO 2]").position).toBe(8);
  });

  test("a QueryError is a 400 whose errors entry names the query parameter", () => {
    try {
      parseLogQuery("a AND");
      throw new Error("parsed");
    } catch (err) {
      expect(err).toBeInstanceOf(QueryError);
      const e = err as QueryError;
      expect(e.status).toBe(400);
      expect(e.detail).toBe("query: at 5: expected a term after AND, found the end of the query");
      expect(e.extra.errors).toEqual([
        {
          field: "query",
          message: "at 5: expected a term after AND, found the end of the query",
          position: 5,
          expected: "a term after AND",
        },
      ]);
    }
  });

  test("limits: length, terms and nesting", () => {
    expect(failure("a".repeat(MAX_QUERY_CHARS + 1)).position).toBe(MAX_QUERY_CHARS);
    expect(parseLogQuery(`"${"a ".repeat(MAX_QUERY_CHARS / 2 - 1)}"`).type).toBe("text");
    const words = Array.from({ length: MAX_SEARCH_TERMS + 1 }, (_, i) => `w${i}`);
    expect(failure(words.join(" ")).expected).toBe(`at most ${MAX_SEARCH_TERMS} terms`);
    expect(parseLogQuery(words.slice(1).join(" ")).type).toBe("and");
    // Terms without a word reach no engine and do not count.
    expect(parseLogQuery(`${"% ".repeat(MAX_SEARCH_TERMS + 1)}a`)).toEqual(text(["a"]));
    const fields = Array.from({ length: MAX_SEARCH_TERMS + 1 }, (_, i) => `k:${i}`);
    expect(failure(fields.join(" ")).expected).toBe(`at most ${MAX_SEARCH_TERMS} terms`);
    const deep = (n: number) => `${"(".repeat(n)}a${")".repeat(n)}`;
    expect(parseLogQuery(deep(MAX_QUERY_DEPTH))).toEqual(text(["a"]));
    expect(failure(deep(MAX_QUERY_DEPTH + 1))).toEqual({
      position: MAX_QUERY_DEPTH,
      expected: `groups nested at most ${MAX_QUERY_DEPTH} deep`,
    });
  });
});

describe("formatQuery", () => {
  test("writes text that parses back to the same tree", () => {
    for (const q of [
      "payment failed",
      "a or b c",
      '-"connection reset" x',
      "service:checkout level:warn http.status:500 latency_ms:>=250 latency_ms:[100 TO 500]",
      "user_id:* time* route:/api/v1/* (a OR b) -c NOT (a b) service:(a OR b)",
      'message:"card declined" message:card* "java lang"* attributes.service:x host:*',
      'note:"say \\"hi\\"" x:"a b"* url:"//h/p" x:>-0 x:<1e+21 "or" message:or',
    ]) {
      const tree = parseLogQuery(q);
      expect(parseLogQuery(formatQuery(tree))).toEqual(tree);
    }
    expect(formatQuery(parseLogQuery("a or b c"))).toBe("a OR (b AND c)");
  });
});

describe("random text from the grammar", () => {
  test("parses, and formats back to text that parses to the same tree", () => {
    const r = new Random(7);
    let fields = 0;
    for (let k = 0; k < 5000; k++) {
      const q = randomQueryText(r);
      const tree = parseLogQuery(q);
      if (q.includes(":")) fields++;
      expect({ q, tree: parseLogQuery(formatQuery(tree)) }).toEqual({ q, tree });
    }
    expect(fields).toBeGreaterThan(2500);
  });

  test("the search box's texts mean what they meant (words, phrases, or, -)", () => {
    // Today's texts, with what changed left out: `and`, AND and NOT, `--`, backslashes, `*`, `:`, `()`.
    const pieces = [
      "error",
      "Card",
      "u_42",
      "/api/v1",
      "café",
      "or",
      "OR",
      "-",
      " ",
      " ",
      '"',
      "%",
      "x.y",
      "-or",
    ];
    const r = new Random(11);
    const events = randomEvents(r, 200, Date.UTC(2026, 0, 1));
    for (let k = 0; k < 2000; k++) {
      let q = "";
      for (let j = 1 + r.int(8); j > 0; j--) q += r.pick(pieces);
      if (q.includes("--")) continue;
      const before = searchBoxTree(q);
      const now = parseLogQuery(q);
      const differ = events.filter((e) => matches(now, e) !== matches(before, e)).map((e) => e.message);
      expect({ q, differ }).toEqual({ q, differ: [] });
    }
  });
});

/** What the search box before this language made of a text (blank: no filter), as a tree. */
function searchBoxTree(q: string): QueryNode {
  if (q.trim() === "") return { type: "all" };
  const groups = parseSearchText(q).map(
    (g): QueryNode => ({
      type: "and",
      children: g.map((t) => {
        const node = text(searchWords(t.text));
        return t.negated ? { type: "not", child: node } : node;
      }),
    }),
  );
  return groups.length === 0 ? { type: "none" } : { type: "or", children: groups };
}
