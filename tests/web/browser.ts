import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { CHROMIUM_PATH } from "../helpers/engines.ts";

/** Headless Chromium as the browser suites run it (no sandbox in containers, no GPU, no background traffic). */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-quic",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/**
 * A new page of the context with the suites' default timeout, whose script errors (console errors other
 * than the browser's own report of a non-2xx answer, and uncaught exceptions) go to `consoleErrors`.
 */
export async function watchedPage(context: BrowserContext, consoleErrors: string[] = []): Promise<Page> {
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on("console", (m) => {
    // The browser reports every non-2xx answer (a wrong password's 401 among them) as a console error.
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  return page;
}

/** Fills the login form shown on the page as the test admin and submits it. */
export async function submitLogin(page: Page, password = "admin-test-password"): Promise<void> {
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}

/** A page logged in as the test admin through the login form (the session lives in the tab). */
export async function loggedInPage(
  context: BrowserContext,
  url: string,
  consoleErrors: string[] = [],
): Promise<Page> {
  const page = await watchedPage(context, consoleErrors);
  await page.goto(`${url}/login`);
  await submitLogin(page);
  await page.waitForURL((u) => !u.pathname.startsWith("/login"));
  return page;
}
