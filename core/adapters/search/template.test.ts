import { describe, expect, test } from "bun:test";
import { logEvent } from "../../../tests/helpers/events.ts";
import type { EngineRequest, EngineTransport, SearchEngine } from "./backend.ts";
import { SearchLogStore } from "./log-store.ts";

/** An engine that takes every bulk item and counts template installs (and mapping updates). */
function countingEngine() {
  const calls = { templates: 0, mappings: 0, bulks: 0 };
  const transport = (async (req: EngineRequest) => {
    // The root answer the install reads first (which product the node is).
    if (req.method === "GET" && req.path === "/")
      return { status: 200, body: { version: { number: "2.19.0" } } };
    if (req.path.startsWith("/_index_template/")) {
      calls.templates++;
      return { status: 200, body: { acknowledged: true } };
    }
    if (req.method === "PUT" && req.path === "/t/_mapping") {
      calls.mappings++;
      return { status: 200, body: { acknowledged: true } };
    }
    if (req.path === "/_bulk") {
      calls.bulks++;
      const n = (req.bulkBody ?? []).length / 2;
      return {
        status: 200,
        body: { errors: false, items: Array.from({ length: n }, () => ({ create: { status: 201 } })) },
      };
    }
    throw new Error(`unexpected ${req.method} ${req.path}`);
  }) as EngineTransport;
  const engine: SearchEngine = { flavor: "opensearch", transport, close: async () => {} };
  return { engine, calls };
}

const event = () => logEvent(Date.now(), { service: "t", message: "m" });

describe("index template", () => {
  test("a store installs it before its first write, once", async () => {
    const { engine, calls } = countingEngine();
    const store = new SearchLogStore(engine, { indexPrefix: "t", refresh: false });
    await store.write([event()]);
    await store.write([event()]);
    // Indices an older template made get the new fields along with the install.
    expect(calls).toEqual({ templates: 1, mappings: 1, bulks: 2 });
  });

  test("stores built per request (Workers) share that it is installed: one install, not one per request", async () => {
    const { engine, calls } = countingEngine();
    const templateState = { installed: false };
    for (let i = 0; i < 3; i++) {
      await new SearchLogStore(engine, { indexPrefix: "t", refresh: false, templateState }).write([event()]);
    }
    expect(calls).toEqual({ templates: 1, mappings: 1, bulks: 3 });
  });
});
