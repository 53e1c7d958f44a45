import { afterAll, describe, expect, test } from "bun:test";
import { matches } from "../../core/query/evaluate.ts";
import { parseLogQuery as parseQueryText } from "../../core/query/parse.ts";
import { rowAt, rowOffsets, visibleRange } from "../../web/src/ui/virtual.ts";
import { installDom, load, removeDom } from "./dom.ts";

afterAll(() => removeDom());

describe("the virtual table's arithmetic", () => {
  const keys = Array.from({ length: 10_000 }, (_, i) => `k${i}`);

  test("rows start where the rows above end; measured rows count their own height, others the estimate", () => {
    const off = rowOffsets(["a", "b", "c"], new Map([["b", 60]]), 20);
    expect([...off]).toEqual([0, 20, 80, 100]);
  });

  test("the viewport draws the rows it covers and the overscan, never past either end", () => {
    const off = rowOffsets(keys, new Map(), 30);
    expect(visibleRange(off, 0, 600, 10)).toEqual({ start: 0, end: 31 });
    // Scrolled to row 5,000: rows 5,000-5,020 are in view, 10 more each side.
    expect(visibleRange(off, 150_000, 600, 10)).toEqual({ start: 4990, end: 5031 });
    expect(visibleRange(off, 300_000 - 600, 600, 10)).toEqual({ start: 9970, end: 10_000 });
    expect(visibleRange(rowOffsets([], new Map(), 30), 0, 600, 10)).toEqual({ start: 0, end: 0 });
  });

  test("the row at an offset is the last one starting at or before it", () => {
    const off = rowOffsets(["a", "b", "c"], new Map([["b", 60]]), 20);
    expect([0, 19.9, 20, 79, 80, 99, 500].map((y) => rowAt(off, y))).toEqual([0, 0, 1, 1, 2, 2, 2]);
  });
});

describe("Explore's filters as the live tail's query", () => {
  test("services, levels and the search text select what the search selects", async () => {
    installDom();
    const logs = await load<typeof import("../../web/src/data/logs.ts")>("data/logs.ts");
    const base = { range: "1h" as const, from: undefined, to: undefined };
    const text = logs.filtersAsQuery({
      ...base,
      q: 'timeout OR "card declined',
      services: ['pay "eu"', "api"],
      levels: ["ERROR", "CRITICAL"],
    });
    expect(text).toBe(
      'service:("pay \\"eu\\"" OR "api") level:(ERROR OR CRITICAL) (timeout OR "card declined")',
    );
    const tree = parseQueryText(text);
    const event = (service: string, level: string, message: string) =>
      ({ service, level, message, attributes: {} }) as never;
    expect(matches(tree, event("api", "ERROR", "card declined at checkout"))).toBe(true);
    expect(matches(tree, event('pay "eu"', "CRITICAL", "upstream timeout"))).toBe(true);
    // The OR in the text stays inside its parentheses: another service or level does not match.
    expect(matches(tree, event("web", "ERROR", "upstream timeout"))).toBe(false);
    expect(matches(tree, event("api", "INFO", "card declined"))).toBe(false);
    expect(logs.filtersAsQuery({ ...base, q: "", services: [], levels: [] })).toBe("");
  });
});
