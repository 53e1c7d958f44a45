import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { apiRoutes, createApp } from "../../edge-api/app.ts";
import { documentedRoutes } from "../../edge-api/openapi/document.ts";
import { evaluateAlertsNow, exampleExchanges, examplesOf } from "../../edge-api/openapi/example-flow.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
}, 60_000);
afterAll(async () => {
  await t.close();
});

/** Routes that are not API operations: the dashboard and the reference itself. */
const UNDOCUMENTED = new Set(["GET /", "GET /openapi.json", "GET /docs"]);

describe("the API reference", () => {
  test("every route the app serves is in /openapi.json, and nothing that is not", async () => {
    const doc = (await (await t.request("/openapi.json")).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    expect(doc.openapi).toStartWith("3.");
    const documented = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops))
        documented.add(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`);
    }
    const served = new Set(
      createApp(t.runtime.deps)
        .routes.filter((r) => !r.path.endsWith("*") && r.method !== "ALL")
        .map((r) => `${r.method} ${r.path}`)
        .filter((r) => !UNDOCUMENTED.has(r)),
    );
    expect([...served].filter((r) => !documented.has(r))).toEqual([]);
    expect([...documented].filter((r) => !served.has(r))).toEqual([]);
  });

  test("every operation documents its errors as problem+json and every $ref resolves", async () => {
    const text = await (await t.request("/openapi.json")).text();
    const doc = JSON.parse(text) as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>
      >;
      components: { schemas: Record<string, unknown> };
    };
    for (const ops of Object.values(doc.paths)) {
      for (const op of Object.values(ops)) {
        expect(op.responses["500"]?.content?.["application/problem+json"]).toBeDefined();
      }
    }
    for (const [, name] of text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
      expect(doc.components.schemas[name!]).toBeDefined();
    }
  });

  test("/docs is a self-contained page (no external scripts)", async () => {
    const html = await (await t.request("/docs")).text();
    expect(html).toContain("/openapi.json");
    expect(html).not.toMatch(/<script[^>]+src=["']https?:/);
  });

  test("every route that answers JSON has an example, and the example matches the route's schema", () => {
    const problems: string[] = [];
    for (const r of documentedRoutes(apiRoutes())) {
      if (!r.success?.schema) continue;
      if (r.success.example === undefined) problems.push(`${r.route}: no example`);
      else {
        const parsed = r.success.schema.safeParse(r.success.example);
        if (!parsed.success) problems.push(`${r.route}: example does not match: ${parsed.error.message}`);
      }
    }
    expect(problems).toEqual([]);
  });

  test("a walk through the whole API: each route answers its documented status and schema", async () => {
    const exchanges = await exampleExchanges(
      { request: (path, init) => t.request(path, init), adminToken: t.adminToken },
      evaluateAlertsNow(t.runtime.deps),
    );
    const docs = new Map(documentedRoutes(apiRoutes()).map((r) => [r.route, r]));
    const problems: string[] = [];
    for (const e of exchanges) {
      const doc = docs.get(e.route);
      if (!doc) {
        problems.push(`${e.route}: not documented`);
        continue;
      }
      if (e.status !== doc.success?.status) {
        problems.push(
          `${e.route}: answered ${e.status}, documented ${doc.success?.status}: ${JSON.stringify(e.body)}`,
        );
        continue;
      }
      const parsed = doc.success.schema?.safeParse(e.body);
      if (parsed && !parsed.success) problems.push(`${e.route}: ${parsed.error.message}`);
    }
    expect(problems).toEqual([]);
    // The walk reaches every documented route but the Prometheus text.
    const walked = new Set(exchanges.map((e) => e.route));
    expect([...docs.keys()].filter((k) => !walked.has(k))).toEqual(["GET /metrics"]);

    // `bun run docs:examples`: keep these answers as the document's examples.
    if (process.env.LOGFLOW_WRITE_EXAMPLES === "1") {
      const file = resolve(import.meta.dir, "../../edge-api/openapi/examples.json");
      await Bun.write(file, `${JSON.stringify(examplesOf(exchanges), null, 2)}\n`);
      // In the repository's own format, so that `bun run lint` stays clean after a capture.
      Bun.spawnSync(["bunx", "biome", "format", "--write", file], { stdout: "ignore", stderr: "inherit" });
    }
  }, 60_000);
});
