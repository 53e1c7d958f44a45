import { beforeAll, describe, expect, test } from "bun:test";
import { freshService, ingest, suiteApp } from "../helpers/app.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

const t = suiteApp();
let aliceToken: string;
beforeAll(async () => {
  const username = `alice_${crypto.randomUUID().slice(0, 6)}`;
  const json = (body: unknown) => ({
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  await t.request(
    "/api/v1/auth/register",
    json({ username, email: `${username}@example.com`, password: "secure123" }),
  );
  const login = await t.request("/api/v1/auth/login", json({ username, password: "secure123" }));
  aliceToken = ((await login.json()) as { access_token: string }).access_token;
}, 60_000);

type Key = { id: number; key?: string; prefix: string; scopes: string[]; user_id: number };

async function createKey(token: string, body: unknown): Promise<{ status: number; key: Key }> {
  const res = await t.request("/api/v1/api-keys", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, key: (await res.json()) as Key };
}

const as = (token: string, init: RequestInit = {}) => ({
  ...init,
  headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` },
});

describe("API keys for shippers", () => {
  test("a key is shown once, then ingests like a session; listings never show it", async () => {
    const { status, key } = await createKey(aliceToken, { name: "vector on web-1" });
    expect(status).toBe(201);
    expect(key.key).toMatch(/^lf_[A-Za-z0-9_-]{43}$/);
    expect(key.scopes).toEqual(["ingest"]);
    expect(key.key!.startsWith(key.prefix)).toBe(true);
    const service = freshService();
    const res = await ingest(t, [{ service, message: "shipped with a key" }], "application/json", key.key!);
    expect(res.status).toBe(200);
    expect(
      ((await (await t.request(`/api/v1/logs/search?service=${service}`)).json()) as { total: number }).total,
    ).toBe(1);
    const list = await (await t.request("/api/v1/api-keys", as(aliceToken))).text();
    expect(list).toContain(key.prefix);
    expect(list).not.toContain(key.key!);
  });

  test("a key does only what its scopes say, and never account management", async () => {
    const { key } = await createKey(aliceToken, { name: "reader", scopes: ["read"] });
    const res = await ingest(t, { service: "x", message: "y" }, "application/json", key.key!);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { detail: string }).detail).toContain("ingest scope");
    const { key: ingestKey } = await createKey(aliceToken, { name: "shipper" });
    expect((await t.request("/api/v1/auth/me", as(ingestKey.key!))).status).toBe(403);
    expect((await createKey(ingestKey.key!, { name: "escalate" })).status).toBe(403);
  });

  test("a revoked key stops working at once; revoking twice is a 409", async () => {
    const { key } = await createKey(aliceToken, { name: "short-lived" });
    const del = await t.request(`/api/v1/api-keys/${key.id}`, as(aliceToken, { method: "DELETE" }));
    expect(del.status).toBe(204);
    expect((await ingest(t, { service: "x", message: "y" }, "application/json", key.key!)).status).toBe(401);
    expect((await t.request(`/api/v1/api-keys/${key.id}`, as(aliceToken, { method: "DELETE" }))).status).toBe(
      409,
    );
  });

  test("another user's key is invisible (404), except to an admin", async () => {
    const { key: adminKey } = await createKey(t.adminToken, { name: "admin's" });
    const aliceList = (await (await t.request("/api/v1/api-keys", as(aliceToken))).json()) as {
      api_keys: Key[];
    };
    expect(aliceList.api_keys.some((k) => k.id === adminKey.id)).toBe(false);
    expect(
      (await t.request(`/api/v1/api-keys/${adminKey.id}`, as(aliceToken, { method: "DELETE" }))).status,
    ).toBe(404);
    expect((await t.request("/api/v1/api-keys?all=true", as(aliceToken))).status).toBe(403);
    const { key: aliceKey } = await createKey(aliceToken, { name: "alice's" });
    const all = (await (await t.request("/api/v1/api-keys?all=true", as(t.adminToken))).json()) as {
      api_keys: Key[];
    };
    expect(all.api_keys.some((k) => k.id === aliceKey.id)).toBe(true);
    expect(
      (await t.request(`/api/v1/api-keys/${aliceKey.id}`, as(t.adminToken, { method: "DELETE" }))).status,
    ).toBe(204);
  });

  test("bad requests name the field; forged keys are 401", async () => {
    const bad = await createKey(aliceToken, { name: "", scopes: ["root"] });
    expect(bad.status).toBe(422);
    const fields = ((bad.key as unknown as { errors: { field: string }[] }).errors ?? []).map((e) => e.field);
    expect(fields.some((f) => f.startsWith("scopes"))).toBe(true);
    expect(fields).toContain("name");
    const forged = `lf_${"A".repeat(43)}`;
    expect((await ingest(t, { service: "x", message: "y" }, "application/json", forged)).status).toBe(401);
    expect((await t.request("/api/v1/api-keys")).status).toBe(401);
  });
});
