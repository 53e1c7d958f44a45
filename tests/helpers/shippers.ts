import { afterAll, beforeAll, expect } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { LogEvent } from "../../core/log-event.ts";
import { createApp } from "../../edge-api/app.ts";
import type { AppDeps } from "../../edge-api/context.ts";
import { suiteApp, type TestApp } from "./app.ts";

export interface ServedApp {
  t: TestApp;
  /** http://127.0.0.1:<port>, the app on a real socket, for real shipper clients. */
  url(): string;
  /** An API key with the ingest scope. */
  key(): string;
  /** Serve the app with some dependencies replaced (an injected fault); stopped after the suite. */
  serveWith(override: (deps: AppDeps) => Partial<AppDeps>): string;
}

/**
 * The suite's app (`suiteApp`) on a socket of its own, and an ingest API key: what a shipper on another
 * machine would see.
 */
export function servedSuite(env: Record<string, string> = {}): ServedApp {
  const t = suiteApp(env);
  const servers: ReturnType<typeof Bun.serve>[] = [];
  let key = "";
  const serve = (deps: AppDeps) => {
    const server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: createApp(deps).fetch,
      idleTimeout: 30,
    });
    servers.push(server);
    return `http://127.0.0.1:${server.port}`;
  };
  let url = "";
  beforeAll(async () => {
    url = serve(t.runtime.deps);
    const res = await t.request("/api/v1/api-keys", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${t.adminToken}` },
      body: JSON.stringify({ name: `shipper-${crypto.randomUUID().slice(0, 6)}`, scopes: ["ingest"] }),
    });
    if (res.status !== 201) throw new Error(`could not create an API key: ${res.status} ${await res.text()}`);
    key = ((await res.json()) as { key: string }).key;
  });
  afterAll(() => {
    for (const s of servers) s.stop(true);
  });
  return {
    t,
    url: () => url,
    key: () => key,
    serveWith: (override) => serve({ ...t.runtime.deps, ...override(t.runtime.deps) }),
  };
}

/** Every stored event of one service, newest first (paged through the store itself). */
export async function storedOf(t: TestApp, service: string): Promise<LogEvent[]> {
  const out: LogEvent[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await t.runtime.deps.store.search({
      services: [service],
      limit: 1000,
      withTotal: false,
      ...(cursor ? { cursor } : {}),
    });
    out.push(...page.logs);
    if (!page.nextCursor) return out;
    cursor = page.nextCursor;
  }
}

/**
 * Reads the store until `count` events of `service` are in, or `tries` reads have passed (shippers
 * deliver in the background); what is stored then, so a test can say how many were missing.
 */
export async function storedWhen(
  t: TestApp,
  service: string,
  count: number,
  tries = 200,
): Promise<LogEvent[]> {
  for (let i = 0; ; i++) {
    const stored = await storedOf(t, service);
    if (stored.length >= count || i >= tries) return stored;
    await Bun.sleep(50);
  }
}

/**
 * The README's configuration block marked `<!-- tested: name -->` (a fenced `conf` block right below
 * it): shipper tests run the configuration users copy, so the README cannot drift from what works.
 */
export function readmeConfig(name: string): string {
  const readme = readFileSync(resolve(import.meta.dir, "../../README.md"), "utf8");
  const m = new RegExp(`<!-- tested: ${name} -->\\n\`\`\`conf\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!m) throw new Error(`README has no block marked tested: ${name}`);
  return m[1]!;
}

/**
 * The 1,000 known lines the syslog daemons' tests read from files: `app.log` holds lines 0–499 (read at
 * severity warning), `errors.log` lines 500–999 (read at err), each `line <n> of <service>`.
 */
export function writeKnownLines(dir: string, service: string): void {
  for (const [file, n0] of [
    ["app.log", 0],
    ["errors.log", 500],
  ] as const) {
    const lines = Array.from({ length: 500 }, (_, i) => `line ${n0 + i} of ${service}`);
    writeFileSync(join(dir, file), `${lines.join("\n")}\n`);
  }
}

/**
 * Every known line stored exactly once under `service`, each file's severity mapped to its level, and
 * every time between `start` (when the daemon read the files) and now.
 */
export function expectKnownLines(stored: LogEvent[], service: string, start: number): void {
  const byMessage = new Map(stored.map((e) => [e.message.trim(), e]));
  expect(stored.length).toBe(1_000);
  expect(byMessage.size).toBe(1_000);
  expect(byMessage.get(`line 7 of ${service}`)).toMatchObject({ service, level: "WARNING" });
  expect(byMessage.get(`line 507 of ${service}`)).toMatchObject({ service, level: "ERROR" });
  for (const e of stored) {
    expect(e.service).toBe(service);
    expect(e.level).toBe(Number(/^line (\d+)/.exec(e.message.trim())?.[1]) < 500 ? "WARNING" : "ERROR");
    expect(Date.parse(e.timestamp)).toBeGreaterThanOrEqual(start - 1_000);
    expect(Date.parse(e.timestamp)).toBeLessThanOrEqual(Date.now() + 1_000);
  }
}
