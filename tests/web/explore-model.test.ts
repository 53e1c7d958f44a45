import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { matches } from "../../core/query/evaluate.ts";
import { parseLogQuery as parseQueryText } from "../../core/query/parse.ts";
import { finishedBuckets, overviewFigures } from "../../web/src/pages/overview/figures.ts";
import { rowAt, rowOffsets, visibleRange } from "../../web/src/ui/virtual.ts";
import { installDom, load, removeDom } from "./dom.ts";

beforeAll(() => installDom());
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

describe("times", () => {
  test("compact, to the millisecond before any AM/PM, in UTC when switched, with the year only when not this year's", async () => {
    const f = await load<typeof import("../../web/src/ui/format.ts")>("ui/format.ts");
    f.setUtc(true);
    const now = Date.parse("2026-12-01T00:00:00Z");
    const t = f.formatTime("2026-11-28T13:52:07.123Z", now);
    expect(t).toMatch(/Nov 28/);
    expect(t).toMatch(/(13|01):52:07\.123/);
    expect(t).not.toMatch(/[AP]M\.\d/);
    expect(t).not.toContain("2026");
    expect(f.formatTime("2025-11-28T13:52:07.123Z", now)).toContain("2025");
    expect(f.zoneLabel()).toBe("UTC");
    // The custom range's inputs read and write UTC wall time too, to the second.
    expect(f.toLocalInput("2026-11-28T13:52:07.123Z")).toBe("2026-11-28T13:52:07");
    expect(f.fromLocalInput("2026-11-28T13:52:07")).toBe("2026-11-28T13:52:07.000Z");
    f.setUtc(false);
    expect(f.zoneLabel()).not.toBe("");
  });
});

describe("the overview's figures agree", () => {
  const end = Date.parse("2026-12-03T12:00:00Z");
  const overview = (total: number, previous: number) =>
    ({
      total_logs: total,
      start_time: new Date(end - 3_600_000).toISOString(),
      end_time: new Date(end).toISOString(),
      trend: { previous_total_logs: previous, change_percent: previous ? 5 : null, error_rate_change: 2 },
    }) as never;
  const series = (firstDataMinute: number) =>
    ({
      buckets: Array.from({ length: 60 }, (_, i) => ({
        timestamp: new Date(end - 3_600_000 + i * 60_000).toISOString(),
        count: i >= firstDataMinute ? 10 : 0,
      })),
    }) as never;

  test("all time is never below the last hour, and the rate counts only the minutes with data", () => {
    const f = overviewFigures(overview(20_855, 0), 20_673, series(50), end);
    expect(f.allTime).toBe(20_855);
    expect(f.spanMinutes).toBe(10);
    expect(f.perMinute).toBeCloseTo(2085.5);
    expect(f.trend).toBe(false);
  });

  test("with an earlier window to compare, the whole window counts and trends show", () => {
    const f = overviewFigures(overview(600, 500), 5_000, series(50), end);
    expect(f.allTime).toBe(5_000);
    expect(f.spanMinutes).toBe(60);
    expect(f.perMinute).toBe(10);
    expect(f.trend).toBe(true);
  });

  test("the bucket still filling is kept apart from the chart", () => {
    const buckets = [0, 1, 2].map((i) => ({ timestamp: new Date(end + i * 60_000).toISOString() }));
    const { finished, filling } = finishedBuckets(buckets, "1m", end + 2 * 60_000 + 30_000);
    expect(finished).toHaveLength(2);
    expect(filling).toBe(buckets[2]!);
    expect(finishedBuckets(buckets, "1m", end + 3 * 60_000).filling).toBeNull();
  });
});

describe("highlighting the query's words", () => {
  test("words, phrases, message: values and prefixes are marked; negated terms, other fields and operators not", async () => {
    const h = await load<typeof import("../../web/src/ui/highlight.tsx")>("ui/highlight.tsx");
    const of = (q: string) => {
      const x = h.highlightsOf(q);
      return { words: [...x.words].sort(), prefixes: x.prefixes };
    };
    expect(of("checkout Timeout")).toEqual({ words: ["checkout", "timeout"], prefixes: [] });
    expect(of('"connection reset" -healthcheck')).toEqual({ words: ["connection", "reset"], prefixes: [] });
    expect(of("service:checkout level:error -host:web-3")).toEqual({ words: [], prefixes: [] });
    expect(of('message:"card declined" http.status:502')).toEqual({
      words: ["card", "declined"],
      prefixes: [],
    });
    expect(of("(timeout OR refused) AND NOT level:debug -(noise x)")).toEqual({
      words: ["refused", "timeout"],
      prefixes: [],
    });
    expect(of("service:(checkout OR payment) time* java.lang.Null*")).toEqual({
      words: ["java", "lang"],
      prefixes: ["time", "null"],
    });
    const runs = h.highlightRuns("Timeout after 30s; timed out", h.highlightsOf("timeout tim*"));
    expect(runs.filter((r) => r.hit).map((r) => r.text)).toEqual(["Timeout", "timed"]);
    expect(runs.map((r) => r.text).join("")).toBe("Timeout after 30s; timed out");
  });
});

describe("the time picker's ranges", () => {
  test("typed relative ranges are read as the URL keeps them; others are refused", async () => {
    const logs = await load<typeof import("../../web/src/data/logs.ts")>("data/logs.ts");
    expect(["now-2h", "30m", " 3 D ", "now - 15m", "90s"].map(logs.normalizeRange)).toEqual([
      "2h",
      "30m",
      "3d",
      "15m",
      "90s",
    ]);
    expect(["", "2x", "now+2h", "0m", "1000w", "-5m"].map(logs.normalizeRange)).toEqual([
      null,
      null,
      null,
      null,
      null,
      null,
    ]);
    expect(logs.parseLogQuery({ range: "now-2h" }).range).toBe("2h");
    const now = Date.parse("2026-12-03T12:00:00Z");
    expect(logs.windowOf(logs.parseLogQuery({ range: "2h" }), now)).toEqual({ from: now - 7_200_000 });
  });

  test("earlier and later move by the window's length; zoom out doubles it", async () => {
    const tp = await load<typeof import("../../web/src/pages/explore/time-picker.tsx")>(
      "pages/explore/time-picker.tsx",
    );
    const now = Date.parse("2026-12-03T12:00:00Z");
    const q = { q: "", services: [], levels: [], range: "2h" };
    expect(tp.shifted(q, -1, now)).toEqual({
      range: "custom",
      from: "2026-12-03T08:00:00.000Z",
      to: "2026-12-03T10:00:00.000Z",
    });
    expect(tp.zoomedOut(q, now)).toEqual({ range: "4h" });
    const custom = {
      ...q,
      range: "custom",
      from: "2026-12-03T10:00:00.000Z",
      to: "2026-12-03T11:00:00.000Z",
    };
    expect(tp.shifted(custom, 1, now)).toEqual({
      range: "custom",
      from: "2026-12-03T11:00:00.000Z",
      to: "2026-12-03T12:00:00.000Z",
    });
    expect(tp.zoomedOut(custom, now)).toEqual({
      range: "custom",
      from: "2026-12-03T09:30:00.000Z",
      to: "2026-12-03T11:30:00.000Z",
    });
  });
});

describe("the histogram and the field sidebar", () => {
  test("bars are chosen so the window needs at most 80; the stats answer becomes stacked bars", async () => {
    const stats = await load<typeof import("../../web/src/data/stats.ts")>("data/stats.ts");
    expect(stats.histogramInterval(15 * 60_000).text).toBe("30s");
    expect(stats.histogramInterval(3_600_000).text).toBe("1m");
    expect(stats.histogramInterval(24 * 3_600_000).text).toBe("30m");
    expect(stats.histogramInterval(30 * 86_400_000).text).toBe("12h");
    const h = await load<typeof import("../../web/src/pages/explore/histogram.tsx")>(
      "pages/explore/histogram.tsx",
    );
    const bars = h.barsOf({
      buckets: [
        { start: "2026-12-03T12:01:00.000Z", group: { level: "ERROR" }, values: { count: 2 } },
        { start: "2026-12-03T12:00:00.000Z", group: { level: "INFO" }, values: { count: 5 } },
        { start: "2026-12-03T12:01:00.000Z", group: { level: "INFO" }, values: { count: 1 } },
      ],
    } as never);
    expect(bars.map((b) => [b.total, b.counts.INFO, b.counts.ERROR])).toEqual([
      [5, 5, 0],
      [3, 1, 2],
    ]);
  });

  test("including or excluding a value edits the query text as a term, quoted when it must be", async () => {
    const { withFieldTerm } = await load<typeof import("../../web/src/data/stats.ts")>("data/stats.ts");
    expect(withFieldTerm("", "level", "ERROR", false)).toBe("level:ERROR");
    expect(withFieldTerm("timeout", "http.status", "502", false)).toBe("timeout http.status:502");
    expect(withFieldTerm("timeout level:ERROR", "level", "ERROR", true)).toBe("timeout -level:ERROR");
    expect(withFieldTerm("timeout -level:ERROR", "level", "ERROR", true)).toBe("timeout -level:ERROR");
    expect(withFieldTerm("x", "reason", 'card "declined"', false)).toBe('x reason:"card \\"declined\\""');
    expect(withFieldTerm("x", "host", "-web", false)).toBe('x host:"-web"');
    // An OR in the text is kept apart from the new term.
    expect(withFieldTerm("timeout or refused", "service", "api", false)).toBe(
      "(timeout or refused) service:api",
    );
    const tree = parseQueryText(withFieldTerm("timeout OR refused", "service", "api", false));
    const ev = (service: string, message: string) =>
      ({ service, level: "INFO", message, attributes: {} }) as never;
    expect(matches(tree, ev("api", "refused"))).toBe(true);
    expect(matches(tree, ev("web", "timeout"))).toBe(false);
  });
});
