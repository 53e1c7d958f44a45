import { describe, expect, test } from "bun:test";
import { normalizeRange, SavedSearchInputSchema } from "../core/saved-searches/schema.ts";
import { normalizeRange as dashboardRange } from "../web/src/data/logs.ts";

describe("saved searches' ranges", () => {
  // The dashboard cannot import core's code, so it keeps its own reading: they must agree, or a range
  // Explore shows could be refused when saved (or one saved be unreadable in Explore).
  test("read exactly as Explore reads them", () => {
    const inputs = [
      "15m",
      "now-1h",
      " 2 H ",
      "now - 30s",
      "7d",
      "2w",
      "400d",
      "401d",
      "0s",
      "1",
      "1y",
      "",
      "now",
      "custom",
    ];
    for (const text of inputs) expect(normalizeRange(text)).toBe(dashboardRange(text));
    expect(normalizeRange("now-1h")).toBe("1h");
  });

  test("a custom range needs both ends, in order", () => {
    const base = { name: "n", range: "custom" };
    expect(SavedSearchInputSchema.safeParse(base).success).toBe(false);
    expect(
      SavedSearchInputSchema.safeParse({ ...base, from: "2026-06-01T06:00:00Z", to: "2026-06-01T00:00:00Z" })
        .success,
    ).toBe(false);
    const ok = SavedSearchInputSchema.parse({
      ...base,
      from: "2026-06-01T00:00:00Z",
      to: "2026-06-01T06:00:00Z",
    });
    expect(ok.range).toBe("custom");
  });
});
