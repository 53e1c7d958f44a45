import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { apiRoutes, createApp } from "../../edge-api/app.ts";
import { isShipperRoute } from "../../edge-api/ingest/paths.ts";
import { documentedRoutes } from "../../edge-api/openapi/document.ts";
import { evaluateAlertsNow, exampleExchanges, examplesOf } from "../../edge-api/openapi/example-flow.ts";
import { suiteApp } from "../helpers/app.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

const t = suiteApp();

/**
 * Routes that are not API operations: the dashboard and the reference itself. The shipper protocols'
 * routes (`isShipperRoute`) follow their protocols' own specs, documented in the README.
 */
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
        .filter((r) => !UNDOCUMENTED.has(r) && !isShipperRoute(r.slice(r.indexOf(" ") + 1))),
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

const post = (path: string, body: string, type?: string, token?: string) =>
  t.request(path, {
    method: "POST",
    headers: {
      ...(type ? { "content-type": type } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body,
  });

interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: { field: string; message: string }[];
}

async function problem(res: Response): Promise<Problem> {
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  return (await res.json()) as Problem;
}

describe("what a route's declared request schemas answer", () => {
  test("a body of another content type, or none, is a 415 naming what the route takes", async () => {
    const plain = await problem(await post("/api/v1/auth/register", "{}", "text/plain"));
    expect(plain).toMatchObject({
      status: 415,
      code: "UNSUPPORTED_MEDIA_TYPE",
      detail: "Content-Type must be application/json, got text/plain",
    });
    const none = await problem(await post("/api/v1/alerts/rules", "", undefined, t.adminToken));
    expect(none.detail).toBe("Content-Type must be application/json, got none");
    // Login also takes the seed's form encoding, and says so.
    const login = await problem(await post("/api/v1/auth/login", "x", "text/plain"));
    expect(login.detail).toBe(
      "Content-Type must be application/json or application/x-www-form-urlencoded, got text/plain",
    );
  });

  test("broken JSON is a 400 saying where it broke, before any field is judged", async () => {
    const res = await post("/api/v1/auth/register", '{"username": "ada",\n  "email": }', "application/json");
    const p = await problem(res);
    expect(p.status).toBe(400);
    expect(p.code).toBe("INVALID_JSON");
    expect(p.detail).toStartWith("Body is not valid JSON: line 2, column");
  });

  test("a body that fails its schema is a 422 naming each field", async () => {
    const res = await post(
      "/api/v1/auth/register",
      JSON.stringify({ username: "x", email: "not-an-email", password: "secret-enough", extra: 1 }),
      "application/json",
    );
    const p = await problem(res);
    expect(p.status).toBe(422);
    expect(p.code).toBe("VALIDATION_FAILED");
    const fields = (p.errors ?? []).map((e) => e.field).sort();
    expect(fields).toEqual(["body", "email", "username"]);
    expect(p.detail).toContain("username: must be 3–50 characters");
  });

  test("a bad query parameter is a 400 naming it; repeated and comma-separated lists still work", async () => {
    const bad = await problem(await t.request("/api/v1/logs/search?limit=0&level=LOUD"));
    expect(bad.status).toBe(400);
    expect(bad.code).toBe("BAD_REQUEST");
    expect((bad.errors ?? []).map((e) => e.field).sort()).toEqual(["level", "limit"]);

    const ingest = await post(
      "/api/v1/ingest",
      JSON.stringify(
        ["ERROR", "WARNING", "INFO", "DEBUG"].map((level) => ({
          service: "validation-test",
          level,
          message: `a ${level} line`,
        })),
      ),
      "application/json",
      t.adminToken,
    );
    expect(ingest.status).toBe(200);
    const res = await t.request(
      "/api/v1/logs/search?service=validation-test&level=ERROR,WARNING&level=INFO&limit=7&limit=10",
    );
    expect(res.status).toBe(200);
    const page = (await res.json()) as { logs: { level: string }[] };
    expect(page.logs.map((l) => l.level).sort()).toEqual(["ERROR", "INFO", "WARNING"]);
  });
});
