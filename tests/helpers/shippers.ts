import { afterAll, beforeAll } from "bun:test";
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
