import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { TrieRouter } from "hono/router/trie-router";
import { StaticRouteCache } from "./static-route-cache.ts";

const ROUTES: [string, string][] = [
  ["ALL", "/*"],
  ["ALL", "/api/*"],
  ["GET", "/api/v1/logs/search"],
  ["GET", "/api/v1/logs/recent"],
  ["GET", "/api/v1/logs/:id/context"],
  ["GET", "/api/v1/logs/:id"],
  ["POST", "/api/v1/ingest"],
  ["GET", "/health"],
];
const PATHS = [
  "/api/v1/logs/search",
  "/api/v1/logs/recent",
  "/api/v1/logs/0190b8c4-0000-7000-8000-000000000000",
  "/api/v1/logs/abc/context",
  "/api/v1/ingest",
  "/health",
  "/nothing/here",
];

function both() {
  const cached = new StaticRouteCache<string>();
  const plain = new TrieRouter<string>();
  for (const [i, [method, path]] of ROUTES.entries()) {
    cached.add(method, path, `h${i}`);
    plain.add(method, path, `h${i}`);
  }
  return { cached, plain };
}

describe("StaticRouteCache", () => {
  test("answers exactly what the TrieRouter answers, first time and remembered", () => {
    const { cached, plain } = both();
    for (let round = 0; round < 2; round++)
      for (const method of ["GET", "POST", "DELETE"])
        for (const path of PATHS) expect(cached.match(method, path)).toEqual(plain.match(method, path));
  });

  test("remembers static routes only: ids and unknown paths cannot grow it", () => {
    const { cached } = both();
    for (let i = 0; i < 100; i++) {
      cached.match("GET", `/api/v1/logs/${crypto.randomUUID()}`);
      cached.match("GET", `/no/such/${i}`);
    }
    expect(cached.size).toBe(0);
    cached.match("GET", "/api/v1/logs/search");
    cached.match("GET", "/health");
    cached.match("POST", "/health"); // not a POST route: matched, not remembered
    expect(cached.size).toBe(2);
  });

  test("a route added later is seen", () => {
    const { cached } = both();
    const before = cached.match("GET", "/health");
    cached.add("GET", "/health", "late");
    const after = cached.match("GET", "/health");
    expect(after[0].length).toBe(before[0].length + 1);
  });

  test("in an app: the static route wins over the parameter registered after it", async () => {
    const app = new Hono({ router: new StaticRouteCache() });
    app.get("/logs/search", (c) => c.text("search"));
    app.get("/logs/:id", (c) => c.text(`id ${c.req.param("id")}`));
    for (let i = 0; i < 3; i++) {
      expect(await (await app.request("/logs/search")).text()).toBe("search");
      expect(await (await app.request("/logs/42")).text()).toBe("id 42");
    }
  });
});
