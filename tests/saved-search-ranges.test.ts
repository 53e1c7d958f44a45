import { describe, expect, test } from "bun:test";
import { normalizeRange } from "../common/ranges.ts";
import { SavedSearchInputSchema } from "../core/saved-searches/schema.ts";

describe("saved searches' ranges", () => {
  // Explore reads its URL's range with common/ranges.ts: a range it shows must be saved as it reads it
  // (a range refused here would make "Save" fail on a search the dashboard shows).
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
    for (const text of inputs) {
      const saved = SavedSearchInputSchema.safeParse({ name: "n", range: text });
      const explore = text.trim() === "custom" ? "custom" : normalizeRange(text);
      if (explore === null) expect(saved.success).toBe(false);
      else if (explore !== "custom") expect(saved.data?.range).toBe(explore);
    }
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
