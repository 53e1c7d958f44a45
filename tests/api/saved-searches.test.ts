/**
 * Saved searches (issues 21, 22): create, list, read, replace and delete over the real API and database
 * (PGlite; real Postgres with LOGFLOW_TEST_DB=postgres), who sees and who changes what, and the refusals
 * a client acts on: 422 for a query that cannot be parsed (naming the position), 409 for a name the owner
 * already uses, 401 without a session, 403 for someone else's shared search.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import type { SavedSearch } from "../../core/saved-searches/schema.ts";
import { startTestApp, suiteApp, type TestApp } from "../helpers/app.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

const t = suiteApp();

async function userToken(app: TestApp, prefix: string): Promise<string> {
  const username = `${prefix}_${crypto.randomUUID().slice(0, 6)}`;
  const post = (path: string, body: unknown) =>
    app.request(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  await post("/api/v1/auth/register", { username, email: `${username}@example.com`, password: "secure123" });
  const login = await post("/api/v1/auth/login", { username, password: "secure123" });
  return ((await login.json()) as { access_token: string }).access_token;
}

function call(app: TestApp, method: string, path: string, token?: string, body?: unknown) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  return app.request(`/api/v1/saved-searches${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

let alice: string;
let bob: string;
beforeAll(async () => {
  alice = await userToken(t, "alice");
  bob = await userToken(t, "bob");
}, 60_000);

const names = (list: { saved_searches: SavedSearch[] }) => list.saved_searches.map((s) => s.name);

describe("saved searches", () => {
  test("a round trip: saved as given, the range as Explore writes it, listed, replaced, deleted", async () => {
    const res = await call(t, "POST", "", alice, {
      name: "Checkout errors",
      query: "level:error service:checkout latency_ms:>250",
      services: ["checkout"],
      levels: ["error", "CRITICAL"],
      range: "now-1h",
      columns: ["http.status"],
    });
    expect(res.status).toBe(201);
    const saved = (await res.json()) as SavedSearch;
    expect(saved).toMatchObject({
      name: "Checkout errors",
      query: "level:error service:checkout latency_ms:>250",
      services: ["checkout"],
      levels: ["ERROR", "CRITICAL"],
      range: "1h",
      from: null,
      to: null,
      columns: ["http.status"],
      shared: false,
    });

    const got = await call(t, "GET", `/${saved.id}`, alice);
    expect(got.status).toBe(200);
    expect(await got.json()).toEqual(saved);

    const put = await call(t, "PUT", `/${saved.id}`, alice, {
      name: "Checkout errors (EU)",
      query: "service:checkout-eu",
      range: "custom",
      from: "2026-06-01T00:00:00Z",
      to: "2026-06-01T06:00:00Z",
      shared: true,
    });
    expect(put.status).toBe(200);
    const changed = (await put.json()) as SavedSearch;
    expect(changed).toMatchObject({
      id: saved.id,
      name: "Checkout errors (EU)",
      services: [],
      levels: [],
      range: "custom",
      from: "2026-06-01T00:00:00.000Z",
      to: "2026-06-01T06:00:00.000Z",
      shared: true,
    });

    expect((await call(t, "DELETE", `/${saved.id}`, alice)).status).toBe(204);
    expect((await call(t, "GET", `/${saved.id}`, alice)).status).toBe(404);
    expect((await call(t, "DELETE", `/${saved.id}`, alice)).status).toBe(404);
  });

  test("others see shared searches only; only the owner or an admin changes one", async () => {
    const mine = (await (
      await call(t, "POST", "", alice, { name: "mine only", query: "timeout" })
    ).json()) as SavedSearch;
    const shared = (await (
      await call(t, "POST", "", alice, { name: "for everyone", query: "level:error", shared: true })
    ).json()) as SavedSearch;

    const aliceList = await (await call(t, "GET", "", alice)).json();
    expect(names(aliceList)).toEqual(expect.arrayContaining(["mine only", "for everyone"]));
    const bobList = await (await call(t, "GET", "", bob)).json();
    expect(names(bobList)).toContain("for everyone");
    expect(names(bobList)).not.toContain("mine only");

    expect((await call(t, "GET", `/${mine.id}`, bob)).status).toBe(404);
    expect((await call(t, "GET", `/${shared.id}`, bob)).status).toBe(200);
    const forbidden = await call(t, "PUT", `/${shared.id}`, bob, { name: "taken over" });
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as { detail: string }).detail).toContain("owner");
    expect((await call(t, "DELETE", `/${shared.id}`, bob)).status).toBe(403);
    expect((await call(t, "PUT", `/${mine.id}`, bob, { name: "x" })).status).toBe(404);

    // An admin may change and delete anyone's.
    const byAdmin = await call(t, "PUT", `/${mine.id}`, t.adminToken, { name: "renamed by admin" });
    expect(byAdmin.status).toBe(200);
    expect(((await byAdmin.json()) as SavedSearch).owner_id).toBe(mine.owner_id);
    expect((await call(t, "DELETE", `/${shared.id}`, t.adminToken)).status).toBe(204);
    const after = await (await call(t, "GET", "", bob)).json();
    expect(names(after)).not.toContain("for everyone");
  });

  test("a query that cannot be parsed is a 422 naming the position; nothing is saved", async () => {
    const res = await call(t, "POST", "", alice, { name: "broken", query: "level:error AND (timeout" });
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const problem = (await res.json()) as { errors: { field: string; message: string }[] };
    const err = problem.errors.find((e) => e.field === "query");
    expect(err?.message).toMatch(/^at \d+: expected /);
    const list = await (await call(t, "GET", "", alice)).json();
    expect(names(list)).not.toContain("broken");
  });

  test("other bad bodies are 422s naming the field", async () => {
    const cases: [unknown, string][] = [
      [{ name: "  " }, "name"],
      [{ name: "r", range: "yesterday" }, "range"],
      [{ name: "c", range: "custom", from: "2026-06-01T00:00:00Z" }, "to"],
      [{ name: "l", levels: ["loud"] }, "levels.0"],
      [{ name: "u", colour: "red" }, ""],
    ];
    for (const [body, field] of cases) {
      const res = await call(t, "POST", "", alice, body);
      expect(res.status).toBe(422);
      const problem = (await res.json()) as { errors: { field: string }[]; detail: string };
      if (field) expect(problem.errors.map((e) => e.field)).toContain(field);
      else expect(problem.detail).toContain("colour");
    }
  });

  test("a name is unique per owner whatever its case (409), but two users may use the same", async () => {
    expect((await call(t, "POST", "", alice, { name: "Slow requests" })).status).toBe(201);
    const again = await call(t, "POST", "", alice, { name: "slow REQUESTS" });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { detail: string }).detail).toContain("already have a saved search");
    expect((await call(t, "POST", "", bob, { name: "Slow requests" })).status).toBe(201);

    const other = (await (await call(t, "POST", "", alice, { name: "other" })).json()) as SavedSearch;
    expect((await call(t, "PUT", `/${other.id}`, alice, { name: "SLOW requests" })).status).toBe(409);
  });

  test("saving needs a session (401), an unknown id is a 404", async () => {
    expect((await call(t, "POST", "", undefined, { name: "anon" })).status).toBe(401);
    expect((await call(t, "POST", "", "not-a-token", { name: "anon" })).status).toBe(401);
    expect((await call(t, "DELETE", "/1", undefined)).status).toBe(401);
    expect((await call(t, "GET", "/999999", alice)).status).toBe(404);
    expect((await call(t, "GET", "/abc", alice)).status).toBe(404);
  });
});

describe("with READ_ACCESS=authenticated", () => {
  test("reading the list takes a session; with public reads, anyone sees the shared ones", async () => {
    const app = await startTestApp({ READ_ACCESS: "authenticated" });
    try {
      expect((await call(app, "GET", "")).status).toBe(401);
      const token = await userToken(app, "carol");
      expect((await call(app, "POST", "", token, { name: "shared", shared: true })).status).toBe(201);
      const list = await (await call(app, "GET", "", token)).json();
      expect(names(list)).toEqual(["shared"]);
    } finally {
      await app.close();
    }
    expect((await call(t, "POST", "", alice, { name: "open to all", shared: true })).status).toBe(201);
    const open = await (await call(t, "GET", "")).json();
    expect(names(open)).toContain("open to all");
    expect(open.saved_searches.every((s: SavedSearch) => s.shared)).toBe(true);
  }, 120_000); // a second app (its own embedded database) starts in ~2 s, in ~55 s on a machine under load 20
});
