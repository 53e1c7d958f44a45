import { describe, expect, test } from "bun:test";
import { DOCUMENT_SECURITY_HEADERS } from "../../edge-api/security-headers.ts";
import { suiteApp } from "../helpers/app.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

const t = suiteApp();

/** Headers only a rendered page can act on: an API answer carries none of them. */
const DOCUMENT_ONLY = [
  "cross-origin-opener-policy",
  "origin-agent-cluster",
  "referrer-policy",
  "x-dns-prefetch-control",
  "x-download-options",
  "x-permitted-cross-domain-policies",
  "x-xss-protection",
];

function expectApiHeaders(res: Response) {
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  expect(res.headers.get("x-frame-options")).toBe("DENY");
  expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
  expect(res.headers.get("cache-control")).toBe("no-store");
  expect(res.headers.get("strict-transport-security")).toBe("max-age=15552000; includeSubDomains");
  for (const name of DOCUMENT_ONLY) expect(res.headers.get(name)).toBeNull();
  expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
}

describe("security headers", () => {
  test("a successful API answer carries the API set and no page-only header", async () => {
    const res = await t.request("/api/v1/metrics/overview", {
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    expect(res.status).toBe(200);
    expectApiHeaders(res);
  });

  test("errors carry them too: 401, 404 under /api, and a body too large", async () => {
    const unauthorized = await t.request("/api/v1/auth/me");
    expect(unauthorized.status).toBe(401);
    expectApiHeaders(unauthorized);
    const missing = await t.request("/api/v1/nothing-here");
    expect(missing.status).toBe(404);
    expectApiHeaders(missing);
    const big = await t.request("/api/v1/auth/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "x".repeat(1024 * 1024 + 1),
    });
    expect(big.status).toBe(413);
    expectApiHeaders(big);
  });

  test("probes, Prometheus and the API description are API answers", async () => {
    for (const path of ["/health", "/metrics", "/openapi.json"]) {
      const res = await t.request(path);
      expect(res.status).toBeLessThan(500);
      expectApiHeaders(res);
    }
  });

  test("pages keep the browser set, and no no-store (the dashboard's assets are cached)", async () => {
    for (const path of ["/", "/docs"]) {
      const res = await t.request(path);
      expect(res.status).toBe(200);
      for (const [name, value] of DOCUMENT_SECURITY_HEADERS) expect(res.headers.get(name)).toBe(value);
      expect(res.headers.get("cache-control")).not.toBe("no-store");
    }
  });
});
