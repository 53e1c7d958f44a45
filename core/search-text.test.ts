import { isRope } from "bun:jsc";
import { describe, expect, test } from "bun:test";
import { AppError } from "./errors.ts";
import { MAX_SEARCH_TERMS, searchWords, tsqueryText, tsvectorText } from "./search-text.ts";

describe("words", () => {
  test("a word is a run of letters, marks and digits; everything else separates", () => {
    expect(searchWords("GET /api/v1/users/u_56441/profile 200 in 19ms")).toEqual([
      "get",
      "api",
      "v1",
      "users",
      "u",
      "56441",
      "profile",
      "200",
      "in",
      "19ms",
    ]);
    expect(searchWords("java.lang.NullPointerException at Bar.java:42")).toEqual([
      "java",
      "lang",
      "nullpointerexception",
      "at",
      "bar",
      "java",
      "42",
    ]);
    expect(searchWords("bob@example.com 203.0.113.45 key=user:42 trace-id=ab_c")).toEqual([
      "bob",
      "example",
      "com",
      "203",
      "0",
      "113",
      "45",
      "key",
      "user",
      "42",
      "trace",
      "id",
      "ab",
      "c",
    ]);
  });

  test("Unicode letters, marks and digits belong to words, in any script; other symbols separate", () => {
    expect(searchWords("Café—RÉSUMÉ «日本語» naïve ١٢٣ x\u0301y")).toEqual([
      "café",
      "résumé",
      "日本語",
      "naïve",
      "١٢٣",
      "x\u0301y",
    ]);
    // Letters outside the Basic Multilingual Plane are two UTF-16 units; emoji separate.
    expect(searchWords("𝐀𝐁c🔥d")).toEqual(["𝐀𝐁c", "d"]);
    // Half a surrogate pair, U+0000 and U+FFFD are not letters.
    expect(searchWords("a\ud800b\u0000c\ufffdd\udc00")).toEqual(["a", "b", "c", "d"]);
  });

  test("a word longer than Postgres's 2,046 bytes is left out but keeps its position", () => {
    const ascii = "a".repeat(2046);
    expect(searchWords(`x ${ascii} y`)).toEqual(["x", ascii, "y"]);
    expect(searchWords(`x ${ascii}b y`)).toEqual(["x", "y"]);
    // 1,024 two-byte letters are 2,048 bytes; 1,023 are 2,046.
    expect(searchWords(`x ${"é".repeat(1023)} y`)).toHaveLength(3);
    expect(searchWords(`x ${"é".repeat(1024)} y`)).toEqual(["x", "y"]);
    expect(tsvectorText("s", `${ascii}b y`)).toBe("'s':1A 'y':4 ");
  });
});

describe("the stored tsvector", () => {
  test("has the words a search for the same text looks for (the writer's and the query's scans agree)", () => {
    // Random text from pieces where the scans could differ: cases, non-ASCII letters and marks, a letter
    // outside the BMP, emoji, halves of surrogate pairs, U+0000, U+FFFD, and words near the length limit.
    const pieces = [
      "a",
      "Z",
      "9",
      " ",
      "_",
      ".",
      "/",
      "-",
      "'",
      "\\",
      "É",
      "ß",
      "İ",
      "Σ",
      "\u0301",
      "日",
      "١",
      "𝐀",
      "🔥",
      "\ud800",
      "\udc00",
      "\u0000",
      "\ufffd",
      "x".repeat(700),
      "é".repeat(400),
    ];
    let seed = 42;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let k = 0; k < 3000; k++) {
      let text = "";
      const n = Math.floor(next() * 24);
      for (let j = 0; j < n; j++) text += pieces[Math.floor(next() * pieces.length)];
      const stored = [...tsvectorText("", text).matchAll(/'([^']*)':(\d+) /g)];
      expect(stored.map((m) => m[1])).toEqual(searchWords(text));
      const positions = stored.map((m) => Number(m[2]));
      expect(positions).toEqual([...positions].sort((x, y) => x - y));
    }
  });

  test("numbers service then message words by position, repeats included", () => {
    expect(tsvectorText("api-gateway", "GET /a GET")).toBe("'api':1A 'gateway':2A 'get':4 'a':5 'get':6 ");
    expect(tsvectorText("svc", "")).toBe("'svc':1A ");
    expect(tsvectorText("svc", "!!! ...")).toBe("'svc':1A ");
    expect(tsvectorText("---", "x")).toBe("'x':2 ");
  });

  test("marks service words (weight A) and keeps them one position apart from the message's", () => {
    // `'word':D` in a query finds the word in the message only; a phrase cannot start in the service
    // and end in the message (positions 2 and 4 are not adjacent).
    expect(tsvectorText("checkout", "card declined")).toBe("'checkout':1A 'card':3 'declined':4 ");
  });

  test("comes back as one flat string, not a rope of a few heap cells per word", () => {
    // A store row keeps this text until the batch is written: built word by word it was a rope that
    // held ~600 cells per 1 KB message (~140 MB of heap for one 10 MB ingest; bench:memory).
    const message = `GET /api/orders ${"detail ".repeat(140)}`;
    const text = tsvectorText("api-gateway", message);
    expect(isRope(text)).toBe(false);
    expect(text.startsWith("'api':1A 'gateway':2A 'get':4 'api':5 'orders':6 'detail':7 ")).toBe(true);
    expect(text.endsWith("'detail':146 ")).toBe(true);
    expect(tsvectorText("", "")).toBe("");
  });
});

describe("search text as a tsquery", () => {
  test("words are ANDed; a term of several words is a phrase; `or` separates groups; `-` excludes", () => {
    expect(tsqueryText("payment failed")).toBe("(('payment') & ('failed'))");
    expect(tsqueryText("u_56441")).toBe("(('u' <-> '56441'))");
    expect(tsqueryText('"connection reset" -timeout')).toBe("(('connection' <-> 'reset') & !('timeout'))");
    expect(tsqueryText("a or B")).toBe("(('a')) | (('b'))");
    expect(tsqueryText("-/api/v1")).toBe("(!('api' <-> 'v1'))");
  });

  test("no text the user types becomes an operator, a quote or an escape", () => {
    for (const text of ["' OR 1=1 --", "a':* | !b", "x\\' & y", "<-> (a) !b:*", "');drop table logs;--"]) {
      const q = tsqueryText(text) ?? "";
      // Every lexeme is quoted and holds only letters, marks and digits.
      const lexemes = q.match(/'[^']*'/g) ?? [];
      for (const l of lexemes) expect(l).toMatch(/^'[\p{L}\p{M}\p{N}]+'$/u);
      // Outside the quotes only the operators written by tsqueryText remain.
      expect(q.replace(/'[^']*'/g, "")).toMatch(/^(?:[()&|! ]|<->)*$/);
    }
  });

  test("text without a word is null (it matches nothing)", () => {
    for (const junk of ["", "   ", "*:*", "%", "-", '"', "'", "<->", "()", "or", "🔥"]) {
      expect(tsqueryText(junk)).toBeNull();
    }
  });

  test("more terms than MAX_SEARCH_TERMS is a bad request", () => {
    const many = Array.from({ length: MAX_SEARCH_TERMS + 1 }, (_, i) => `w${i}`).join(" ");
    expect(() => tsqueryText(many)).toThrow(AppError);
    expect(tsqueryText(many.slice(0, many.lastIndexOf(" ")))).not.toBeNull();
  });
});
