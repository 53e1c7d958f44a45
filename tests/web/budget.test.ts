import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { initialJs } from "../../web/size.ts";
import { buildDashboard, DIST, ROOT } from "./server.ts";

/** The budget: the first page's JavaScript, gzip. */
const BUDGET_BYTES = 60 * 1024;

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

describe("the dashboard's size", () => {
  test("the first page loads at most 60 KB of gzip JavaScript; every other page is its own chunk", async () => {
    const index = join(DIST, "index.html");
    if (!existsSync(index) || statSync(index).mtimeMs < newestSource(resolve(ROOT, "web/src")))
      await buildDashboard();
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
