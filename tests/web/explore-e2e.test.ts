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
    context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      permissions: ["clipboard-read", "clipboard-write"],
    });
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

  test("the overview's files and answers arrive compressed; the bytes are recorded", async () => {
    /** Bytes on the wire (headers included) for one load of the overview with an empty cache. */
    async function overviewBytes(acceptEncoding?: string) {
      const cdp = await context.newCDPSession(page);
      await cdp.send("Network.enable");
      await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
      if (acceptEncoding)
        await cdp.send("Network.setExtraHTTPHeaders", { headers: { "Accept-Encoding": acceptEncoding } });
      const sizes = new Map<string, number>();
      const encodings: Record<string, string> = {};
      cdp.on("Network.responseReceived", (e) => {
        const h = Object.fromEntries(
          Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), v]),
        );
        encodings[new URL(e.response.url).pathname] = String(h["content-encoding"] ?? "none");
      });
      cdp.on("Network.loadingFinished", (e) => sizes.set(e.requestId, e.encodedDataLength));
      await page.goto(`${s.url}/`);
      await page.locator(".chart canvas").first().waitFor();
      await page.waitForLoadState("networkidle");
      await cdp.detach();
      return { bytes: [...sizes.values()].reduce((a, b) => a + b, 0), requests: sizes.size, encodings };
    }
    const svc = freshService("ov");
    await ship(50, (i) => ({ service: svc, level: i % 5 ? "INFO" : "ERROR", message: `checkout ${i} done` }));
    // The overview's answers are cached for a while: start from fresh ones.
    const cleared = await s.t.request("/api/v1/cache/clear", {
      method: "DELETE",
      headers: { authorization: `Bearer ${s.t.adminToken}` },
    });
    expect(cleared.status).toBe(200);
    const plain = await overviewBytes("identity");
    const packed = await overviewBytes();
    const scripts = Object.entries(packed.encodings).filter(([p]) => p.endsWith(".js"));
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, enc] of scripts) expect(enc).toBe("br");
    for (const [p, enc] of Object.entries(plain.encodings)) if (p.endsWith(".js")) expect(enc).toBe("none");
    expect(packed.encodings["/api/v1/metrics/overview"]).toBe("gzip");
    const report = {
      uncompressed_bytes: plain.bytes,
      compressed_bytes: packed.bytes,
      requests: packed.requests,
      measured_at: new Date().toISOString(),
    };
    writeFileSync(join(ARTIFACTS, "overview-bytes.json"), `${JSON.stringify(report, null, 2)}\n`);
    console.log(`overview bytes on the wire: ${JSON.stringify(report)}`);
    expect(packed.bytes).toBeLessThan(plain.bytes);
  }, 60_000);

  test("matched words are highlighted, lines wrap on request, and the time picker moves the window", async () => {
    const svc = freshService("pick");
    const long = `checkout timeout for order 42 ${"and a very long tail of detail ".repeat(12)}end`;
    await ship(3, (i) => ({ service: svc, level: "ERROR", message: i === 0 ? long : `checkout ok ${i}` }));
    await page.goto(`${s.url}/explore?service=${svc}&q=timeout`);
    const row = page.locator(".results tbody tr[data-key]").first();
    await row.locator("mark", { hasText: "timeout" }).waitFor();
    expect(await row.locator("mark").allTextContents()).toEqual(["timeout"]);
    const oneLine = (await row.boundingBox())!.height;
    await page.getByRole("button", { name: "Wrap lines" }).click();
    await page.waitForURL(/wrap=1/);
    await page.waitForFunction((h) => {
      const r = document.querySelector(".results tbody tr[data-key]");
      return r !== null && r.getBoundingClientRect().height > h * 1.5;
    }, oneLine);
    await page.screenshot({ path: join(ARTIFACTS, "21-explore-highlight-wrap.png") });

    // Typed relative range, then the same length earlier: an absolute window 2 h before.
    await page.getByLabel("Relative").fill("now-2h");
    await page.getByLabel("Relative").press("Enter");
    await page.waitForURL((u) => u.searchParams.get("range") === "2h");
    const before = Date.now();
    await page.getByRole("button", { name: "◀ Earlier" }).click();
    await page.waitForURL((u) => u.searchParams.get("range") === "custom");
    const u = new URL(page.url());
    const from = Date.parse(u.searchParams.get("from")!);
    const to = Date.parse(u.searchParams.get("to")!);
    expect(to - from).toBe(2 * 3_600_000);
    expect(Math.abs(to - (before - 2 * 3_600_000))).toBeLessThan(60_000);
    await page.getByText("No logs match these filters.").waitFor();
    await page.getByRole("button", { name: "Later ▶" }).click();
    await page.locator(".results tbody tr", { hasText: "checkout timeout" }).waitFor();
    // The absolute start and end are editable to the second.
    expect(await page.locator("input[name=from]").getAttribute("step")).toBe("1");
    await page.getByRole("button", { name: "Zoom out" }).click();
    await page.waitForFunction(() => {
      const p = new URLSearchParams(window.location.search);
      return Date.parse(p.get("to")!) - Date.parse(p.get("from")!) === 4 * 3_600_000;
    });
    // A link to this view carries absolute times.
    await page.getByRole("button", { name: "Copy link" }).click();
    const link = new URL(await page.getByLabel("Link to this view").inputValue());
    expect(link.searchParams.get("range")).toBe("custom");
    expect(link.searchParams.get("service")).toBe(svc);
  }, 60_000);

  test("a link to a single line opens it, with its JSON; a surrounding line opens in its place", async () => {
    const svc = freshService("line");
    const t = Date.now() - 60_000;
    await ship(5, (i) => ({ service: svc, message: `step ${i}`, timestamp: t + i * 1000 }));
    await page.goto(`${s.url}/explore?service=${svc}`);
    await page.locator(".results tbody tr", { hasText: "step 2" }).click();
    const drawer = page.getByRole("dialog", { name: "Log details" });
    await drawer.getByRole("button", { name: "Copy link to this line" }).click();
    await drawer.getByText("Link copied.").waitFor();
    const link = await page.evaluate(() => navigator.clipboard.readText());
    expect(new URL(link).searchParams.get("log")).toBeTruthy();
    await page.goto(`${s.url}/`);
    await page.goto(link);
    await drawer.locator("p.msg", { hasText: "step 2" }).waitFor();
    await drawer.getByText("JSON", { exact: true }).click();
    expect(JSON.parse((await drawer.getByTestId("log-json").textContent())!).message).toBe("step 2");
    await drawer.getByRole("button", { name: "Show surrounding lines" }).click();
    await drawer.getByTestId("context-lines").locator("tr", { hasText: "step 3" }).click();
    await drawer.locator("p.msg", { hasText: "step 3" }).waitFor();
    await page.keyboard.press("Escape");
  }, 60_000);

  test("at phone width (390 px) the rows show time, level and message, and nothing is wider than the screen", async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const p = await loggedInPage(phone, s.url, consoleErrors);
    const svc = freshService("phone");
    await ship(30, (i) => ({
      service: svc,
      level: i % 3 ? "INFO" : "ERROR",
      message: `payment ${i} declined by issuer`,
    }));
    await p.goto(`${s.url}/explore?service=${svc}`);
    const row = p.locator(".results tbody tr[data-key]").first();
    await row.waitFor();
    const msg = await row.locator("td.msg").boundingBox();
    expect(msg!.width).toBeGreaterThan(250);
    expect(msg!.x + msg!.width).toBeLessThanOrEqual(390);
    expect(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await p.screenshot({ path: join(ARTIFACTS, "22-explore-phone.png"), fullPage: true });
    await p.goto(`${s.url}/alerts`);
    await p.getByRole("button", { name: "New rule" }).waitFor();
    expect(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await p.screenshot({ path: join(ARTIFACTS, "23-alerts-phone.png"), fullPage: true });
    await phone.close();
  }, 60_000);

  test("the query box shows a query's error at its position, has a ? help sheet, and remembers recent queries", async () => {
    const svc = freshService("qbox");
    await ship(3, (i) => ({ service: svc, message: `slow call ${i}`, attributes: { latency_ms: 100 * i } }));
    await page.goto(`${s.url}/explore?service=${svc}`);
    const box = page.locator("input[name=q]");
    await box.fill("latency_ms:>abc");
    await box.press("Enter");
    const err = page.getByTestId("query-error");
    await err.getByText("At character 13: expected a number after >").waitFor();
    expect(await box.getAttribute("aria-invalid")).toBe("true");
    await page.screenshot({ path: join(ARTIFACTS, "24-explore-query-error.png") });
    await err.getByRole("button", { name: "Go to it" }).click();
    expect(await box.evaluate((el: HTMLInputElement) => el.selectionStart)).toBe(12);

    await box.fill("latency_ms:>150");
    await box.press("Enter");
    await page.getByTestId("result-count").getByText("1 matching line").waitFor();
    expect(await err.count()).toBe(0);

    // "?" outside a text field opens the syntax sheet; an example runs.
    await page.locator("h1").click();
    await page.keyboard.press("?");
    const help = page.getByRole("dialog", { name: "Query syntax" });
    await help.waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "25-explore-query-help.png") });
    await help.getByRole("button", { name: "user_id:*" }).click();
    await page.waitForURL((u) => u.searchParams.get("q") === "user_id:*");
    await help.waitFor({ state: "detached" });

    // Recent queries are offered in the box, newest first, after a reload too.
    await page.reload();
    await page.locator("datalist#query-history option").first().waitFor({ state: "attached" });
    const history = await page
      .locator("datalist#query-history option")
      .evaluateAll((o) => o.map((x) => (x as HTMLOptionElement).value));
    const at = (q: string) => history.indexOf(q);
    expect(at("user_id:*")).toBe(0);
    expect(at("latency_ms:>150")).toBeGreaterThan(at("user_id:*"));
    expect(at("latency_ms:>abc")).toBeGreaterThan(at("latency_ms:>150"));
  }, 60_000);

  test("the histogram answers with the list's total; a drag zooms the range and the list; a bar narrows to it", async () => {
    const svc = freshService("histo");
    const t0 = Date.now() - 40 * 60_000;
    await ship(80, (i) => ({
      service: svc,
      level: i % 4 === 0 ? "ERROR" : "INFO",
      message: `order ${i} placed`,
      timestamp: t0 + i * 30_000,
    }));
    await page.goto(`${s.url}/explore?service=${svc}`);
    const histogram = page.getByRole("img", { name: /histogram/i });
    await histogram.waitFor();
    await page.getByTestId("histogram-total").getByText("80 matching").waitFor();
    await page.getByTestId("result-count").getByText("80 matching lines").waitFor();
    expect(await histogram.locator("rect").count()).toBeGreaterThan(10);
    await page.screenshot({ path: join(ARTIFACTS, "26-explore-histogram-fields.png") });

    // Drag over the right half: the range becomes that span, and list and histogram agree on it.
    const box = (await histogram.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.75, box.y + box.height / 2, { steps: 5 });
    await page.mouse.move(box.x + box.width - 1, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.waitForURL((u) => u.searchParams.get("range") === "custom");
    const u = new URL(page.url());
    const len = Date.parse(u.searchParams.get("to")!) - Date.parse(u.searchParams.get("from")!);
    expect(Math.abs(len - 30 * 60_000)).toBeLessThan(60_000);
    const listTotal = async () =>
      Number(
        (await page.getByTestId("result-count").textContent())!.replace(/[^\d].*$/s, "").replace(/,/g, ""),
      );
    await page.waitForFunction(() => {
      const t = document.querySelector("[data-testid=result-count]")?.textContent ?? "";
      return /^\d[\d,]* matching/.test(t) && !t.startsWith("80 ");
    });
    const zoomed = await listTotal();
    expect(zoomed).toBeGreaterThan(20);
    expect(zoomed).toBeLessThan(80);
    await page.getByTestId("histogram-total").getByText(`${zoomed} matching`).waitFor();

    // A click on a bar: its interval alone.
    const box2 = (await histogram.boundingBox())!;
    const bar = histogram.locator("rect").nth(5);
    const bb = (await bar.boundingBox())!;
    await page.mouse.click(bb.x + bb.width / 2, box2.y + box2.height - 2);
    await page.waitForFunction((l) => {
      const p = new URLSearchParams(window.location.search);
      return Date.parse(p.get("to")!) - Date.parse(p.get("from")!) < l;
    }, len);
    await page.waitForFunction((z) => {
      const t = document.querySelector("[data-testid=result-count]")?.textContent ?? "";
      return /^\d[\d,]* matching/.test(t) && !t.startsWith(`${z} `);
    }, zoomed);
    const narrowed = await listTotal();
    expect(narrowed).toBeGreaterThan(0);
    expect(narrowed).toBeLessThan(zoomed);
    await page.getByTestId("histogram-total").getByText(`${narrowed} matching`).waitFor();
  }, 60_000);

  test("the field sidebar lists the fields with top values; a click includes or excludes a value in the query text", async () => {
    const svc = freshService("side");
    await ship(12, (i) => ({
      service: svc,
      level: i < 3 ? "ERROR" : "INFO",
      message: `request ${i}`,
      attributes: { region: i % 2 ? "eu-west" : "us-east", status: 200 + (i % 3) },
    }));
    await page.goto(`${s.url}/explore?service=${svc}`);
    const fields = page.getByRole("region", { name: "Fields" });
    await fields.getByText("region", { exact: true }).waitFor();
    await fields.getByText("level", { exact: true }).waitFor();
    await fields.getByRole("button", { name: "Filter for level: ERROR" }).click();
    await page.waitForURL((u) => u.searchParams.get("q") === "level:ERROR");
    expect(await page.locator("input[name=q]").inputValue()).toBe("level:ERROR");
    await page.getByTestId("result-count").getByText("3 matching lines").waitFor();
    // The opposite choice replaces the term; the text stays editable.
    await fields.getByRole("button", { name: "Filter out level: ERROR" }).click();
    await page.waitForURL((u) => u.searchParams.get("q") === "-level:ERROR");
    await page.getByTestId("result-count").getByText("9 matching lines").waitFor();
    // From the details drawer: an attribute.
    await page.locator(".results tbody tr[data-key]").first().click();
    const drawer = page.getByRole("dialog", { name: "Log details" });
    const region = await drawer.locator("dt", { hasText: "attributes.region" }).locator("+ dd").textContent();
    const value = region!.replace(/[+−]/g, "").trim();
    await drawer.getByRole("button", { name: `Filter for region: ${value}` }).click();
    await page.waitForURL((u) => u.searchParams.get("q") === `-level:ERROR region:${value}`);
    await page.getByRole("dialog").waitFor({ state: "detached" });
    await page
      .getByTestId("result-count")
      .getByText(/^\d+ matching/)
      .waitFor();
  }, 60_000);

  test("alert on this search: the rule form comes prefilled and shows what it would have counted", async () => {
    const svc = freshService("alertme");
    // The preview counts clock-aligned 5-minute windows: all 12 lines go in the current one (lines a
    // second apart would cross a window's edge in one run out of ~25).
    const windowStart = Math.floor(Date.now() / 300_000) * 300_000;
    const base = Math.max(windowStart, Date.now() - 60_000);
    await ship(12, (i) => ({
      service: svc,
      level: "ERROR",
      message: `card declined ${i}`,
      timestamp: base + i,
    }));
    await page.goto(`${s.url}/explore?service=${svc}&q=declined`);
    await page.getByTestId("result-count").getByText("12 matching lines").waitFor();
    await page.getByRole("link", { name: "Alert on this search" }).click();
    await page.waitForURL(/\/alerts\?.*rule=new/);
    expect(await page.locator("input[name=query]").inputValue()).toBe("declined");
    expect(await page.getByLabel("Services (comma-separated, empty for all)").inputValue()).toBe(svc);
    const preview = page.getByTestId("rule-preview");
    await preview.getByText(/it would have fired in/).waitFor();
    // The newest window holds the 12 lines; the default rule fires above 10.
    await preview.locator("li", { hasText: ": 12" }).waitFor();
    expect(await preview.locator("strong").textContent()).toBe("1");
    await page.screenshot({ path: join(ARTIFACTS, "27-alert-on-this-search.png"), fullPage: true });
    await page.getByRole("button", { name: "Create rule" }).click();
    await page.getByText(/Saved rule “Search: declined”/).waitFor();
  }, 60_000);

  test("a saved search round trip: Save names the filters, the menu opens them again after a reload", async () => {
    const svc = freshService("saved");
    await ship(3, (i) => ({
      service: svc,
      level: "ERROR",
      message: `gateway timeout ${i}`,
      timestamp: Date.now() - i * 1000,
    }));
    await page.goto(`${s.url}/explore?service=${svc}&q=timeout&range=6h`);
    await page.getByTestId("result-count").getByText("3 matching lines").waitFor();
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.locator("input[name=saved-name]").fill(`timeouts of ${svc}`);
    await page.getByRole("button", { name: "Save search" }).click();
    await page.getByRole("status").getByText(`Saved as "timeouts of ${svc}".`).waitFor();

    await page.goto(`${s.url}/explore`);
    await page.getByText("Saved searches", { exact: true }).click();
    await page.getByRole("button", { name: `timeouts of ${svc}`, exact: true }).click();
    await page.getByTestId("result-count").getByText("3 matching lines").waitFor();
    const url = new URL(page.url());
    expect(url.searchParams.get("service")).toBe(svc);
    expect(url.searchParams.get("q")).toBe("timeout");
    expect(url.searchParams.get("range")).toBe("6h");
    expect(await page.locator("input[name=q]").inputValue()).toBe("timeout");
  }, 60_000);

  test("open alerts are counted beside Alerts in the navigation", async () => {
    const { rules } = await s.t.runtime.deps.alertRules.list({ limit: 500, offset: 0 });
    const rule = rules.find((r) => r.name.startsWith("Search: declined"));
    expect(rule).toBeDefined();
    const now = Date.now();
    const fired = await s.t.runtime.deps.triggeredAlerts.fire({
      rule_id: rule!.id,
      triggered_at: now,
      value: 12,
      threshold: 10,
      condition: "greater_than",
      time_window: 5,
      window_start: now - 5 * 60_000,
      window_end: now,
      message: "12 matching logs in 5 min",
      sample_log_ids: [],
    });
    expect(fired).not.toBeNull();
    await page.goto(`${s.url}/`);
    const badge = page.getByRole("navigation", { name: "Main" }).getByTestId("open-alerts");
    await badge.waitFor();
    const open = Number((await badge.textContent())!.replace(/\D/g, ""));
    expect(open).toBeGreaterThanOrEqual(1);
    // Acknowledged, it is no longer open: the count drops on the next page change.
    expect((await s.t.runtime.deps.triggeredAlerts.acknowledge(fired!.id, 1, Date.now())).ok).toBe(true);
    await page.getByRole("link", { name: /Alerts/ }).click();
    await page.waitForFunction(
      (n) =>
        Number(document.querySelector("[data-testid=open-alerts]")?.textContent?.replace(/\D/g, "") ?? 0) < n,
      open,
    );
  }, 60_000);

  test("no script errors were logged along the way", () => {
    expect(consoleErrors).toEqual([]);
  });
});
