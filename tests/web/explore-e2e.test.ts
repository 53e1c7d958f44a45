import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { freshService, ingest } from "../helpers/app.ts";
import { chromiumAvailable } from "../helpers/engines.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";
import { launchChromium, loggedInPage } from "./browser.ts";
import { ARTIFACTS, ensureBuilt, type Served, serveDashboard } from "./server.ts";

integrationTimeouts();

const available = chromiumAvailable();

let s: Served;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const consoleErrors: string[] = [];

/** Ship `n` events of one service in requests of 1,000, the i-th made by `make(i)`. */
async function ship(n: number, make: (i: number) => Record<string, unknown>) {
  for (let from = 0; from < n; from += 1000) {
    const batch = Array.from({ length: Math.min(1000, n - from) }, (_, k) => make(from + k));
    const res = await ingest(s.t, batch);
    expect(res.status).toBe(200);
  }
}

const rowCount = async () => Number(await page.locator(".results table").getAttribute("aria-rowcount")) - 1;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

describe.skipIf(!available)("Explore in Chromium", () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await ensureBuilt();
    s = await serveDashboard();
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await loggedInPage(context, s.url, consoleErrors);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  test("10,000 loaded rows: only those in view are drawn, the last is reachable; frame times are recorded", async () => {
    const big = freshService("big");
    const t0 = Date.now() - 50 * 60_000;
    await ship(10_000, (i) => ({
      service: big,
      level: i % 10 === 0 ? "ERROR" : "INFO",
      message: `row ${String(i).padStart(5, "0")} GET /api/v1/orders/${i} took ${i % 997} ms`,
      timestamp: t0 + i * 250,
    }));
    await page.goto(`${s.url}/explore?service=${big}&range=1h`);
    await page.getByText("10,000 matching lines, 100 loaded").waitFor();
    // Scroll to the end until every page is loaded (older pages come 500 at a time).
    const results = page.locator(".results");
    while ((await rowCount()) < 10_000) {
      const before = await rowCount();
      await results.evaluate((el) => el.scrollTo(0, el.scrollHeight));
      await page.waitForFunction(
        (n) => Number(document.querySelector(".results table")?.getAttribute("aria-rowcount")) - 1 > n,
        before,
      );
    }
    await page.getByText("End of results.").waitFor();
    await results.evaluate((el) => el.scrollTo(0, el.scrollHeight));
    const drawn = await page.locator(".results tbody tr[data-key]").count();
    expect(drawn).toBeGreaterThan(10);
    expect(drawn).toBeLessThan(200);
    await page.locator(".results tbody tr", { hasText: "row 00000 " }).waitFor();

    // Keyboard: Home goes to the newest row, End back to the oldest.
    await page.locator(".results tbody tr[data-key]").first().focus();
    await page.keyboard.press("Home");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toContain("row 09999 ");
    await page.keyboard.press("End");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toContain("row 00000 ");

    // Frame times: scroll the list 120 px a frame, down from the top and back, and time each frame.
    const deltas = await results.evaluate(async (el) => {
      el.scrollTop = 0;
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      const out: number[] = [];
      for (const dir of [1, -1]) {
        let last = performance.now();
        await new Promise<void>((done) => {
          let n = 0;
          const step = (t: number) => {
            out.push(t - last);
            last = t;
            el.scrollTop += dir * 120;
            if (++n < 300) requestAnimationFrame(step);
            else done();
          };
          requestAnimationFrame(step);
        });
      }
      return out;
    });
    const sorted = deltas.slice(2).sort((a, b) => a - b);
    const frames = {
      rows: 10_000,
      frames: sorted.length,
      p50_ms: Number(percentile(sorted, 50).toFixed(1)),
      p95_ms: Number(percentile(sorted, 95).toFixed(1)),
      max_ms: Number(sorted[sorted.length - 1]!.toFixed(1)),
      over_50ms: sorted.filter((d) => d > 50).length,
      load_average_1m: Number(loadavg()[0]!.toFixed(1)),
      measured_at: new Date().toISOString(),
    };
    writeFileSync(join(ARTIFACTS, "explore-frame-times.json"), `${JSON.stringify(frames, null, 2)}\n`);
    console.log(`explore scrolling 10,000 rows: ${JSON.stringify(frames)}`);
    expect(frames.frames).toBeGreaterThan(500);
  }, 180_000);

  test("a tail of 3,000 arriving events keeps the newest 1,000 rows and says older ones were dropped; pause and resume miss nothing", async () => {
    const svc = freshService("tail3k");
    await page.goto(`${s.url}/explore?service=${svc}&range=15m&tail=1`);
    await page.getByTestId("tail-status").getByText("Live:").waitFor();
    await ship(3_000, (i) => ({ service: svc, message: `tailed ${String(i).padStart(4, "0")}` }));
    await page.getByTestId("result-count").getByText("3,000 matching lines").waitFor({ timeout: 20_000 });
    await page.getByTestId("tail-dropped").getByText("2,000 older lines were dropped").waitFor();
    expect(await rowCount()).toBe(1000);
    expect(await page.locator(".results tbody tr[data-key]").first().textContent()).toContain("tailed 2999");
    await page.screenshot({ path: join(ARTIFACTS, "20-explore-tail-dropped.png") });

    // Paused: nothing arrives. Resumed: what was stored meanwhile comes, none missed.
    await page.getByRole("button", { name: "Pause live tail" }).click();
    await page.waitForURL((u) => !u.searchParams.has("tail"));
    await ship(5, (i) => ({ service: svc, message: `while paused ${i}` }));
    await page.waitForTimeout(1_500);
    expect(await page.getByText("while paused").count()).toBe(0);
    await page.getByRole("button", { name: "Live tail" }).click();
    await page.getByTestId("result-count").getByText("3,005 matching lines").waitFor({ timeout: 15_000 });
    const top = await page
      .locator(".results tbody tr[data-key]")
      .evaluateAll((rows) => rows.slice(0, 6).map((r) => r.querySelector(".msg")?.textContent));
    expect(top).toEqual([
      "while paused 4",
      "while paused 3",
      "while paused 2",
      "while paused 1",
      "while paused 0",
      "tailed 2999",
    ]);
    expect(await rowCount()).toBe(1000);
  }, 60_000);

  test("no script errors were logged along the way", () => {
    expect(consoleErrors).toEqual([]);
  });
});
