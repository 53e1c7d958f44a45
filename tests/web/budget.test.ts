import { describe, expect, test } from "bun:test";
import { initialJs } from "../../web/size.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";
import { DIST, ensureBuilt } from "./server.ts";

integrationTimeouts();

/** The budget: the first page's JavaScript, gzip. */
const BUDGET_BYTES = 60 * 1024;

describe("the dashboard's size", () => {
  test("the first page loads at most 60 KB of gzip JavaScript; every other page is its own chunk", async () => {
    await ensureBuilt();
    const size = initialJs(DIST);
    console.log(
      `initial JS: entry ${(size.entryGzip / 1024).toFixed(1)} KB gzip, first page (overview + chart) ${(size.firstPageGzip / 1024).toFixed(1)} KB gzip`,
    );
    expect(size.firstPageGzip).toBeLessThanOrEqual(BUDGET_BYTES);
    // The chart library and the other pages are not in the entry.
    const entry = size.entryFiles.join(" ");
    for (const chunk of ["time-chart", "explore", "alerts", "anomalies", "trace", "admin"])
      expect(entry).not.toContain(chunk);
  }, 60_000);
});
