import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { freshService, ingest } from "../helpers/app.ts";
import { chromiumAvailable } from "../helpers/engines.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";
import { launchChromium, submitLogin, watchedPage } from "./browser.ts";
import { ARTIFACTS, ensureBuilt, type Served, serveDashboard } from "./server.ts";

integrationTimeouts();

const available = chromiumAvailable();
const service = freshService("e2e");
const marker = `checkout-${crypto.randomUUID().slice(0, 8)}`;

let s: Served;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const consoleErrors: string[] = [];

async function shot(name: string) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

describe.skipIf(!available)("the dashboard in Chromium", () => {
  beforeAll(async () => {
    rmSync(ARTIFACTS, { recursive: true, force: true });
    mkdirSync(ARTIFACTS, { recursive: true });
    await ensureBuilt();
    s = await serveDashboard();
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    page = await watchedPage(context, consoleErrors);
    // Lines around the one the test looks for, so "surrounding lines" has something on both sides.
    const now = Date.now();
    const events = [];
    for (let i = 0; i < 5; i++)
      events.push({ service, level: "INFO", message: `before ${i}`, timestamp: now - 60_000 + i * 1000 });
    events.push({
      service,
      level: "ERROR",
      message: `${marker} failed: card declined`,
      timestamp: now - 50_000,
      correlation_id: `corr-${marker}`,
      attributes: { order: 42 },
    });
    for (let i = 0; i < 3; i++)
      events.push({ service, level: "INFO", message: `after ${i}`, timestamp: now - 40_000 + i * 1000 });
    events.push({
      service: `${service}-b`,
      level: "WARNING",
      message: `${marker} retried`,
      timestamp: now - 45_000,
      correlation_id: `corr-${marker}`,
    });
    const res = await ingest(s.t, events);
    expect(res.status).toBe(200);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  test("an unauthenticated visit goes to login and comes back to the page asked for", async () => {
    await page.goto(`${s.url}/explore?q=${marker}`);
    await page.waitForURL(/\/login\?next=/);
    await shot("01-login");
    await submitLogin(page, "wrong-password");
    await page.getByText("Incorrect username or password").waitFor();
    await page.getByLabel("Password").fill("admin-test-password");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(/\/explore\?q=/);
    expect(new URL(page.url()).searchParams.get("q")).toBe(marker);
  }, 30_000);

  test("explore finds an ingested line; its details and surrounding lines open, and survive a reload", async () => {
    const row = page.locator("tbody tr", { hasText: `${marker} failed` });
    await row.waitFor();
    await expect(page.getByTestId("result-count").textContent()).resolves.toContain("2 matching");
    await shot("02-explore");
    await row.click();
    const drawer = page.getByRole("dialog", { name: "Log details" });
    await drawer.waitFor();
    const fields = drawer.getByTestId("log-fields");
    await fields.getByText(`corr-${marker}`).waitFor();
    await fields.getByText("attributes.order").waitFor();
    await drawer.getByRole("button", { name: "Show surrounding lines" }).click();
    const lines = drawer.getByTestId("context-lines");
    await lines.getByText("before 4").waitFor();
    await lines.getByText("after 0").waitFor();
    expect(await lines.getByText(`${marker} retried`).count()).toBe(0); // another service
    await shot("03-details-context");
    expect(new URL(page.url()).searchParams.get("ctx")).toBe("10");
    await page.reload();
    await page.getByTestId("context-lines").getByText("after 2").waitFor();
    // Back closes the surrounding lines, then the drawer: each step was a history entry.
    await page.goBack();
    await page.getByRole("button", { name: "Show surrounding lines" }).waitFor();
    await page.keyboard.press("Escape");
    await page.getByRole("dialog").waitFor({ state: "detached" });
  }, 30_000);

  test("the keyboard alone finds, opens and closes a log", async () => {
    await page.keyboard.press("/");
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement).name)).toBe("q");
    const first = page.locator(".results tbody tr").first();
    await first.focus();
    await page.keyboard.press("ArrowDown");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toContain(`${marker} failed`);
    await page.keyboard.press("Enter");
    const drawer = page.getByRole("dialog", { name: "Log details" });
    await drawer.waitFor();
    expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe(
      "Close details (Escape)",
    );
    // Focus stays in the dialog while it is open.
    for (let i = 0; i < 12; i++) await page.keyboard.press("Tab");
    expect(await page.evaluate(() => !!document.activeElement?.closest("[role=dialog]"))).toBe(true);
    await page.keyboard.press("Escape");
    await drawer.waitFor({ state: "detached" });
    expect(await page.evaluate(() => document.activeElement?.textContent)).toContain(`${marker} failed`);
  }, 20_000);

  test("filters live in the URL; export downloads every match as CSV and NDJSON", async () => {
    await page.getByRole("checkbox", { name: "ERROR" }).check();
    await page.waitForURL(/level=ERROR/);
    await page.locator("tbody tr", { hasText: `${marker} failed` }).waitFor();
    await page.getByTestId("result-count").getByText("1 matching").waitFor();
    const [csv] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export CSV" }).click(),
    ]);
    const csvPath = join(ARTIFACTS, "export.csv");
    await csv.saveAs(csvPath);
    const text = readFileSync(csvPath, "utf8");
    expect(text.split("\r\n")[0]).toStartWith("timestamp,level,service,message");
    expect(text).toContain(`${marker} failed: card declined`);
    expect(text).not.toContain(`${marker} retried`);
    const [nd] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export NDJSON" }).click(),
    ]);
    const ndPath = join(ARTIFACTS, "export.ndjson");
    await nd.saveAs(ndPath);
    expect(
      readFileSync(ndPath, "utf8")
        .trimEnd()
        .split("\n")
        .map((l) => (JSON.parse(l) as { message: string }).message),
    ).toEqual([`${marker} failed: card declined`]);
    await page.getByTestId("export-status").getByText("Exported all 1 matching lines as NDJSON.").waitFor();
  }, 30_000);

  test("the overview shows cards, the volume chart and service health", async () => {
    await page.getByRole("link", { name: "Overview" }).click();
    await page.waitForURL(`${s.url}/`);
    await page.getByText("Active services").waitFor();
    await page.locator(".chart canvas").first().waitFor();
    await page.getByRole("link", { name: service, exact: true }).waitFor();
    await shot("04-overview");
  }, 30_000);

  test("an alert rule is created (after the API's field errors are shown) and its alert acknowledged", async () => {
    await page.getByRole("link", { name: "Alerts" }).click();
    await page.getByRole("button", { name: "New rule" }).click();
    const name = `errors on ${service}`;
    await page.getByLabel("Name").fill(name);
    await page.locator("input[name=threshold]").fill("-1");
    // A p95 of a column (service is no number): the API names that field too.
    await page.locator("select[name=aggregation]").selectOption("p95");
    await page.locator("input[name=field]").fill("service");
    await page.getByRole("button", { name: "Create rule" }).click();
    await page.locator("#err-threshold").getByText("must be 0 or more").waitFor();
    await page.locator("#err-field").getByText("is not a numeric attribute's name").waitFor();
    await shot("05-alert-validation");
    await page.locator("input[name=threshold]").fill("0");
    await page.locator("select[name=aggregation]").selectOption("count");
    await page.getByLabel("Services (comma-separated, empty for all)").fill(service);
    await page.locator("input[name=group_by]").fill("service");
    await page.getByRole("button", { name: "Create rule" }).click();
    await page.getByText(`Saved rule “${name}”`).waitFor();
    await page
      .locator("tbody tr", { hasText: name })
      .getByText("count more than 0 in 5 min per service")
      .waitFor();
    await shot("06-alert-rules");

    // The engine fires alerts on its schedule; here the test fires one for the new rule directly.
    const { rules } = await s.t.runtime.deps.alertRules.list({ limit: 500, offset: 0 });
    const rule = rules.find((r) => r.name === name)!;
    const now = Date.now();
    const fired = await s.t.runtime.deps.triggeredAlerts.fire({
      rule_id: rule.id,
      triggered_at: now,
      value: 1,
      threshold: 0,
      condition: "greater_than",
      time_window: 5,
      window_start: now - 5 * 60_000,
      window_end: now,
      message: `1 matching log in 5 min`,
      sample_log_ids: [],
      group: { service },
      aggregation: "count",
    });
    expect(fired).not.toBeNull();

    await page.getByRole("tab", { name: "Triggered alerts" }).click();
    const row = page.locator(`tr[data-alert-id="${fired!.id}"]`);
    await row.getByTestId("alert-group").getByText(`service=${service}`).waitFor();
    await row.getByRole("button", { name: "Acknowledge" }).click();
    await row.getByText("acknowledged").waitFor();
    await shot("07-alerts-triggered");
    await row.getByRole("link", { name: "Logs that fired it" }).click();
    await page.waitForURL(/\/explore\?.*range=custom/);
    // Narrowed to the alert's group, in the query language.
    expect(new URL(page.url()).searchParams.get("q")).toBe(`service:${service}`);
    await page.locator("tbody tr", { hasText: `${marker} failed` }).waitFor();
  }, 30_000);

  test("a rule is edited and deleted from its row", async () => {
    await page.goto(`${s.url}/alerts`);
    const name = `errors on ${service}`;
    await page.getByRole("button", { name: `Edit ${name}` }).click();
    await page.waitForURL(/rule=\d+/);
    await page.locator("input[name=threshold]").fill("25");
    await page.getByRole("button", { name: "Save changes" }).click();
    const row = page.locator("tbody tr", { hasText: name });
    await row.getByText("more than 25 in 5 min").waitFor();
    await row.getByRole("button", { name: `Delete ${name}` }).click();
    await row.getByRole("button", { name: "Confirm delete" }).click();
    await page.getByText(`Deleted rule “${name}”`).waitFor();
    expect(await page.locator("tbody tr", { hasText: name }).count()).toBe(0);
  }, 20_000);

  test("infinite scroll loads older pages; live tail adds new lines without moving what is being read", async () => {
    const busy = freshService("tail");
    const t0 = Date.now() - 10 * 60_000;
    const older = Array.from({ length: 150 }, (_, i) => ({
      service: busy,
      message: `line ${String(i).padStart(3, "0")}`,
      timestamp: t0 + i * 1000,
    }));
    expect((await ingest(s.t, older)).status).toBe(200);
    await page.goto(`${s.url}/explore?service=${busy}&range=15m`);
    const rows = page.locator(".results tbody tr");
    await page.getByText("150 matching lines, 100 loaded").waitFor();
    // Scrolling to the end fetches the next page by cursor.
    await page.locator(".results").evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await page.getByText("End of results.").waitFor();
    // All 150 are loaded (the table says so to screen readers), only those near the view are drawn.
    expect(await page.locator(".results table").getAttribute("aria-rowcount")).toBe("151");
    expect(await rows.count()).toBeLessThan(150);

    // Read from the middle, then tail: new lines arrive on top, the line being read stays put.
    await page.locator(".results").evaluate((el) => el.scrollTo(0, 1200));
    const anchor = page.locator(".results tbody tr", { hasText: "line 100" });
    const results = page.locator(".results");
    const offsetInView = async () => (await anchor.boundingBox())!.y - (await results.boundingBox())!.y;
    const before = await offsetInView();
    await page.getByRole("button", { name: "Live tail" }).click();
    await page.waitForURL(/tail=1/);
    const newer = Array.from({ length: 5 }, (_, i) => ({
      service: busy,
      message: `fresh ${i}`,
      timestamp: Date.now() + i,
    }));
    expect((await ingest(s.t, newer)).status).toBe(200);
    await page.getByText("155 matching lines").waitFor({ timeout: 8_000 });
    expect(Math.abs((await offsetInView()) - before)).toBeLessThanOrEqual(2);
    await shot("08-explore-live-tail");

    // Paused: nothing more arrives.
    await page.getByRole("button", { name: "Pause live tail" }).click();
    expect((await ingest(s.t, [{ service: busy, message: "while paused" }])).status).toBe(200);
    await page.waitForTimeout(2_500);
    expect(await page.getByText("while paused").count()).toBe(0);
  }, 40_000);

  test("anomalies, trace and admin pages show their data", async () => {
    await page.goto(`${s.url}/anomalies`);
    await page.getByRole("heading", { name: "Anomalies", exact: true }).waitFor();
    await page.getByText(/Report: \d+ anomalies/).waitFor();
    await page.getByRole("heading", { name: "Recorded by the scheduler" }).waitFor();
    await page
      .getByText(/Nothing recorded in this window|keeps no anomaly history/)
      .or(page.locator("caption", { hasText: "recorded by the scheduler" }))
      .first()
      .waitFor();
    await shot("09-anomalies");

    await page.goto(`${s.url}/trace/${encodeURIComponent(`corr-${marker}`)}`);
    const timeline = page.getByRole("list", { name: "Timeline by service" });
    await timeline.getByText(service, { exact: true }).waitFor();
    await timeline.getByText(`${service}-b`, { exact: true }).waitFor();
    await page.getByText(`${service} → ${service}-b`).waitFor();
    await shot("10-trace");

    await page.goto(`${s.url}/admin`);
    await page.getByRole("heading", { name: "Users" }).waitFor();
    await page.getByRole("cell", { name: "admin", exact: true }).first().waitFor();
    await page.getByLabel("Key name").fill("e2e shipper");
    await page.getByRole("button", { name: "Create key" }).click();
    await page.getByText("The key is shown only now").waitFor();
    await page.getByRole("button", { name: "Revoke e2e shipper" }).waitFor();
    await page.getByRole("button", { name: "Clear cache" }).click();
    await page.getByText(/Cleared \d+ cached answers/).waitFor();
    await shot("11-admin");
  }, 30_000);

  test("works at phone width and in dark mode", async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: "dark" });
    const p = await phone.newPage();
    // A fresh context has no session: log in through the form again.
    await p.goto(`${s.url}/explore?q=${marker}`);
    await submitLogin(p);
    await p.locator("tbody tr", { hasText: `${marker} failed` }).waitFor();
    const wide = await p.evaluate(() =>
      [...document.querySelectorAll("body *")]
        .filter(
          (e) =>
            !e.closest(".results, .table-wrap") && e.getBoundingClientRect().right > window.innerWidth + 1,
        )
        .map((e) => `${e.tagName.toLowerCase()}.${e.className}`)
        .slice(0, 5),
    );
    expect(wide).toEqual([]);
    expect(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await p.screenshot({ path: join(ARTIFACTS, "12-explore-phone-dark.png"), fullPage: true });
    await p.getByRole("link", { name: "Overview" }).click();
    await p.locator(".chart canvas").first().waitFor();
    await p.screenshot({ path: join(ARTIFACTS, "13-overview-phone-dark.png"), fullPage: true });
    await phone.close();
  }, 30_000);

  test("no script errors were logged along the way", () => {
    expect(consoleErrors).toEqual([]);
  });
});
