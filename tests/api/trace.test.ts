import { describe, expect, test } from "bun:test";
import { freshService, ingest, suiteApp } from "../helpers/app.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

const t = suiteApp();

const auth = (token: string, extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${token}`,
  ...extra,
});

describe("request tracing", () => {
  test("/trace/context echoes the ids the response carries", async () => {
    const res = await t.request("/api/v1/trace/context", { headers: { "x-correlation-id": "txn-77" } });
    const body = (await res.json()) as { request_id: string; correlation_id: string };
    expect(body.correlation_id).toBe("txn-77");
    expect(body.request_id).toBe(res.headers.get("x-request-id")!);
  });

  test("/trace/debug is admin-only and never echoes secrets", async () => {
    const res = await t.request("/api/v1/trace/debug?x=1", {
      headers: auth(t.adminToken, { cookie: "session=abc", "x-api-key": "k", "x-custom": "visible" }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      headers: Record<string, string>;
      query_params: Record<string, string>;
      user: string;
    };
    expect(body.headers.authorization).toBe("[redacted]");
    expect(body.headers.cookie).toBe("[redacted]");
    expect(body.headers["x-api-key"]).toBe("[redacted]");
    expect(body.headers["x-custom"]).toBe("visible");
    expect(body.query_params).toEqual({ x: "1" });
    expect(JSON.stringify(body)).not.toContain(t.adminToken);
    expect((await t.request("/api/v1/trace/debug")).status).toBe(401);
  });

  test("/trace/debug redacts query parameters and headers named like a token, key, secret or password", async () => {
    const secrets = ["s3cr3t-a", "s3cr3t-b", "s3cr3t-c", "s3cr3t-d", "s3cr3t-e", "s3cr3t-f", "s3cr3t-g"];
    const query = new URLSearchParams({
      access_token: secrets[0]!,
      api_key: secrets[1]!,
      client_secret: secrets[2]!,
      password: secrets[3]!,
      page: "2",
    });
    const res = await t.request(`/api/v1/trace/debug?${query}`, {
      headers: auth(t.adminToken, {
        "x-vault-token": secrets[4]!,
        "x-shipper-key": secrets[5]!,
        "x-db-password": secrets[6]!,
        accept: "application/json",
      }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      headers: Record<string, string>;
      query_params: Record<string, string>;
    };
    expect(body.query_params).toEqual({
      access_token: "[redacted]",
      api_key: "[redacted]",
      client_secret: "[redacted]",
      password: "[redacted]",
      page: "2",
    });
    for (const h of ["x-vault-token", "x-shipper-key", "x-db-password"])
      expect(body.headers[h]).toBe("[redacted]");
    expect(body.headers.accept).toBe("application/json");
    for (const s of secrets) expect(JSON.stringify(body)).not.toContain(s);
  });

  test("/trace/log writes a log carrying the caller's correlation id", async () => {
    const correlation = `txn-${crypto.randomUUID()}`;
    const res = await t.request("/api/v1/trace/log", {
      method: "POST",
      headers: auth(t.adminToken, { "content-type": "application/json", "x-correlation-id": correlation }),
      body: JSON.stringify({ event: "payment_processed", details: { amount: 99.99, status: "success" } }),
    });
    expect(res.status).toBe(201);
    const found = await t.request(`/api/v1/logs/search?correlation_id=${correlation}`);
    const { logs } = (await found.json()) as {
      logs: { message: string; attributes: Record<string, unknown> }[];
    };
    expect(logs).toHaveLength(1);
    expect(logs[0]!.message).toBe("payment_processed");
    expect(logs[0]!.attributes).toEqual({ amount: 99.99, status: "success" });
    const anonymous = await t.request("/api/v1/trace/log", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ event: "spam" }),
    });
    expect(anonymous.status).toBe(401);
  });

  test("/correlation/trace/{id}: every log of the id, oldest first, grouped by service, with hop gaps", async () => {
    const correlation = crypto.randomUUID();
    const gw = freshService("gateway");
    const pay = freshService("payment");
    const t0 = Date.now() - 10_000;
    await ingest(t, [
      { service: gw, message: "POST /orders", correlation_id: correlation, timestamp: t0 },
      { service: pay, message: "authorize", correlation_id: correlation, timestamp: t0 + 12 },
      { service: pay, message: "authorized", correlation_id: correlation, timestamp: t0 + 80 },
      { service: gw, message: "201 in 95ms", correlation_id: correlation, timestamp: t0 + 95 },
      { service: gw, message: "unrelated", correlation_id: crypto.randomUUID(), timestamp: t0 + 1 },
    ]);
    const res = await t.request(`/api/v1/correlation/trace/${correlation}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      total: number;
      duration_ms: number;
      logs: { message: string }[];
      services: { service: string; count: number }[];
      hops: { from: string; to: string; at: string; gap_ms: number }[];
    };
    expect(body.total).toBe(4);
    expect(body.duration_ms).toBe(95);
    expect(body.logs.map((l) => l.message)).toEqual([
      "POST /orders",
      "authorize",
      "authorized",
      "201 in 95ms",
    ]);
    expect(body.services).toEqual([
      expect.objectContaining({ service: gw, count: 2 }),
      expect.objectContaining({ service: pay, count: 2 }),
    ]);
    expect(body.hops).toEqual([
      { from: gw, to: pay, at: expect.any(String), gap_ms: 12 },
      { from: pay, to: gw, at: expect.any(String), gap_ms: 15 },
    ]);
    expect((await t.request(`/api/v1/correlation/trace/${crypto.randomUUID()}`)).status).toBe(404);
  });
});

describe("account self-service", () => {
  test("PUT /me changes only documented fields; the password needs the current one", async () => {
    const username = `bob_${crypto.randomUUID().slice(0, 6)}`;
    const post = (path: string, body: unknown) =>
      t.request(path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    await post("/api/v1/auth/register", {
      username,
      email: `${username}@example.com`,
      password: "secure123",
    });
    const token = (
      (await (await post("/api/v1/auth/login", { username, password: "secure123" })).json()) as {
        access_token: string;
      }
    ).access_token;
    const put = (body: unknown) =>
      t.request("/api/v1/auth/me", {
        method: "PUT",
        headers: auth(token, { "content-type": "application/json" }),
        body: JSON.stringify(body),
      });
    expect((await put({ is_admin: true })).status).toBe(422);
    expect((await put({ username: "root" })).status).toBe(422);
    expect((await put({ password: "newpassword1" })).status).toBe(422);
    expect((await put({ password: "newpassword1", current_password: "wrong" })).status).toBe(403);
    const ok = await put({ full_name: "Bob B", password: "newpassword1", current_password: "secure123" });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ username, full_name: "Bob B", is_admin: false });
    const relogin = await post("/api/v1/auth/login", { username, password: "newpassword1" });
    expect(relogin.status).toBe(200);
    // The password change revoked the token it was made with.
    expect((await t.request("/api/v1/auth/me", { headers: auth(token) })).status).toBe(401);
    const fresh = ((await relogin.json()) as { access_token: string }).access_token;
    expect((await t.request("/api/v1/auth/users", { headers: auth(fresh) })).status).toBe(403);
    const users = await t.request("/api/v1/auth/users", { headers: auth(t.adminToken) });
    expect(
      ((await users.json()) as { users: { username: string }[] }).users.some((u) => u.username === username),
    ).toBe(true);
  });
});
