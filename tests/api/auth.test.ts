import { describe, expect, test } from "bun:test";
import { SignJWT } from "jose";
import { suiteApp } from "../helpers/app.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

const t = suiteApp({ SECRET_KEY: "k".repeat(40) });

const json = (body: unknown) => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

describe("auth", () => {
  const username = `alice_${crypto.randomUUID().slice(0, 6)}`;

  test("register → 201 without the hash; duplicates → 409; bad fields → 422 naming each", async () => {
    const res = await t.request(
      "/api/v1/auth/register",
      json({ username, email: `${username}@example.com`, password: "secure123", full_name: "Alice" }),
    );
    expect(res.status).toBe(201);
    const user = (await res.json()) as Record<string, unknown>;
    expect(user).toMatchObject({ username, is_admin: false, is_active: true });
    expect(JSON.stringify(user)).not.toContain("$2");
    const dup = await t.request(
      "/api/v1/auth/register",
      json({ username, email: `other-${username}@example.com`, password: "secure123" }),
    );
    expect(dup.status).toBe(409);
    const bad = await t.request(
      "/api/v1/auth/register",
      json({ username: "a!", email: "nope", password: "short" }),
    );
    expect(bad.status).toBe(422);
    const fields = [
      ...new Set(((await bad.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)),
    ].sort();
    expect(fields).toEqual(["email", "password", "username"]);
    const admin = await t.request(
      "/api/v1/auth/register",
      json({
        username: `${username}x`,
        email: `x${username}@example.com`,
        password: "secure123",
        is_admin: true,
      }),
    );
    expect(admin.status).toBe(422);
  });

  test("login with form encoding (as in the seed) and with JSON; the token opens /me", async () => {
    const form = await t.request("/api/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `username=${username}&password=secure123`,
    });
    expect(form.status).toBe(200);
    const token = (await form.json()) as { access_token: string; token_type: string; expires_in: number };
    expect(token.token_type).toBe("bearer");
    expect(token.expires_in).toBe(30 * 60);
    const viaJson = await t.request("/api/v1/auth/login", json({ username, password: "secure123" }));
    expect(viaJson.status).toBe(200);
    const me = await t.request("/api/v1/auth/me", {
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    expect(((await me.json()) as { username: string }).username).toBe(username);
  });

  test("wrong password and unknown user get the same 401", async () => {
    const wrong = await t.request("/api/v1/auth/login", json({ username, password: "wrong-password" }));
    const unknown = await t.request(
      "/api/v1/auth/login",
      json({ username: "nobody-here", password: "whatever1" }),
    );
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const a = (await wrong.json()) as { detail: string };
    const b = (await unknown.json()) as { detail: string };
    expect(a.detail).toBe(b.detail);
  });

  test("tokens signed with another key, another algorithm, expired or for another audience are refused", async () => {
    const key = new TextEncoder().encode("k".repeat(40));
    const base = () =>
      new SignJWT({ username: "admin", admin: true }).setSubject("1").setIssuedAt().setIssuer("logflow");
    const tokens = [
      await base()
        .setProtectedHeader({ alg: "HS256" })
        .setAudience("logflow-api")
        .setExpirationTime("5m")
        .sign(new TextEncoder().encode("x".repeat(40))),
      await base()
        .setProtectedHeader({ alg: "HS512" })
        .setAudience("logflow-api")
        .setExpirationTime("5m")
        .sign(key),
      await base()
        .setProtectedHeader({ alg: "HS256" })
        .setAudience("logflow-api")
        .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
        .sign(key),
      await base()
        .setProtectedHeader({ alg: "HS256" })
        .setAudience("someone-else")
        .setExpirationTime("5m")
        .sign(key),
    ];
    for (const token of tokens) {
      const res = await t.request("/api/v1/auth/me", { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(401);
    }
    const good = await base()
      .setProtectedHeader({ alg: "HS256" })
      .setAudience("logflow-api")
      .setExpirationTime("5m")
      .sign(key);
    const ok = await t.request("/api/v1/auth/me", { headers: { authorization: `Bearer ${good}` } });
    expect(ok.status).toBe(200);
  });
});

describe("every response", () => {
  test("carries X-Request-ID and keeps a well-formed X-Correlation-ID", async () => {
    const res = await t.request("/health", { headers: { "x-correlation-id": "txn-123" } });
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get("x-correlation-id")).toBe("txn-123");
    const hostile = await t.request("/nope", {
      headers: { "x-correlation-id": "<script>alert(1)</script>" },
    });
    expect(hostile.status).toBe(404);
    expect(hostile.headers.get("x-correlation-id")).toBe(hostile.headers.get("x-request-id"));
  });

  test("/health answers in the seed's shape", async () => {
    const res = await t.request("/health");
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      status: string;
      timestamp: string;
      services: Record<string, string>;
    };
    expect(body.status).toBe("healthy");
    expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
    expect(body.services).toMatchObject({ database: "healthy", log_store: "healthy", queue: "healthy" });
  });

  test("/health is 503 when a required dependency is down", async () => {
    const { createApp } = await import("../../edge-api/app.ts");
    const app = createApp({
      ...t.runtime.deps,
      health: [{ name: "database", required: true, check: () => Promise.reject(new Error("down")) }],
    });
    const res = await app.request("/health");
    expect(res.status).toBe(503);
    expect(((await res.json()) as { status: string }).status).toBe("unhealthy");
  });
});
