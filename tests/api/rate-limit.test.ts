import { describe, expect, test } from "bun:test";
import { ingest, suiteApp } from "../helpers/app.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";
import { withinOneMinute } from "../helpers/until.ts";

integrationTimeouts();

const t = suiteApp({ RATE_LIMIT_ENABLED: "true" });

const login = (password: string, username = "admin") =>
  t.request("/api/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });

describe("rate limits", () => {
  test("search: 50 per minute, exact at the boundary, with RateLimit-* headers and a 429 problem", async () => {
    // startTestApp's own login spent one login, not a search; searches start from 50. Keep the burst inside
    // one minute window: straddling a boundary weighs the old window by its overlap (floor), a request more.
    await withinOneMinute(5_000);
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 51; i++) {
      last = await t.request("/api/v1/logs/search?query=x");
      statuses.push(last.status);
      if (i === 0) {
        expect(last.headers.get("ratelimit-limit")).toBe("50");
        expect(last.headers.get("ratelimit-remaining")).toBe("49");
        expect(Number(last.headers.get("ratelimit-reset"))).toBeLessThanOrEqual(60);
      }
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(50);
    expect(statuses[50]).toBe(429);
    expect(last!.headers.get("retry-after")).not.toBeNull();
    expect(last!.headers.get("content-type")).toContain("application/problem+json");
    expect(((await last!.json()) as { detail: string }).detail).toBe("Rate limit exceeded: 50 per 1 minute");
    // Other endpoint classes keep their own allowance.
    expect((await t.request("/api/v1/logs/recent")).status).toBe(200);
  });

  test("an authenticated user is limited on their own account, not the shared address", async () => {
    const res = await t.request("/api/v1/logs/search?query=x", {
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("ratelimit-remaining")).toBe("49");
  });

  test("opening a live tail counts against its own 60 per minute, never against search's", async () => {
    const username = `tailer_${crypto.randomUUID().slice(0, 8)}`;
    const registered = await t.request("/api/v1/auth/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username, email: `${username}@example.com`, password: "a-long-passphrase" }),
    });
    expect(registered.status).toBe(201);
    const token = ((await (await login("a-long-passphrase", username)).json()) as { access_token: string })
      .access_token;
    const me = { authorization: `Bearer ${token}` };
    for (const left of ["59", "58", "57"]) {
      const tail = await t.request("/api/v1/logs/tail?query=service:nobody", { headers: me });
      expect(tail.status).toBe(200);
      expect(tail.headers.get("ratelimit-limit")).toBe("60");
      expect(tail.headers.get("ratelimit-remaining")).toBe(left);
      await tail.body?.cancel();
    }
    const search = await t.request("/api/v1/logs/search?query=x", { headers: me });
    expect(search.headers.get("ratelimit-remaining")).toBe("49");
  });

  test("login brute force: the 21st attempt in an hour is refused, even with the right password", async () => {
    // What is left of the hour's allowance, whatever came before (startTestApp's login may fall in the
    // previous hourly window, which a sliding window weighs down as the new hour goes on).
    const first = await login("wrong-first");
    expect(first.status).toBe(401);
    expect(first.headers.get("ratelimit-limit")).toBe("20");
    const left = Number(first.headers.get("ratelimit-remaining"));
    expect(left).toBeGreaterThanOrEqual(0);
    expect(left).toBeLessThan(20);
    const statuses: number[] = [];
    for (let i = 0; i < left; i++) statuses.push((await login(`wrong-${i}`)).status);
    expect(statuses.every((s) => s === 401)).toBe(true);
    const blocked = await login("admin-test-password");
    expect(blocked.status).toBe(429);
    expect(((await blocked.json()) as { detail: string }).detail).toBe("Rate limit exceeded: 20 per 1 hour");
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  test("ingest is not limited per request (shippers batch; body and queue limits protect it)", async () => {
    for (let i = 0; i < 120; i++) {
      const res = await ingest(t, { service: "rl", message: `m${i}` });
      expect(res.status).toBe(200);
      expect(res.headers.get("ratelimit-limit")).toBeNull();
    }
  });
});

describe("rate-limit administration", () => {
  const admin = () => ({ authorization: `Bearer ${t.adminToken}` });

  test("status lists the rules; only an admin may see or reset", async () => {
    const res = await t.request("/api/v1/rate-limits/status", { headers: admin() });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      enabled: boolean;
      backend: string;
      rules: { name: string; limit: number }[];
    };
    expect(body.enabled).toBe(true);
    expect(body.backend).toContain("memory");
    expect(body.rules.find((r) => r.name === "search")?.limit).toBe(50);
    expect((await t.request("/api/v1/rate-limits/status")).status).toBe(401);
    expect((await t.request("/api/v1/rate-limits/reset-all", { method: "DELETE" })).status).toBe(401);
  });

  test("resetting an identifier gives it its allowance back", async () => {
    // Use up the address-based search allowance (whatever the earlier tests left of it).
    let status = 200;
    for (let i = 0; i < 120 && status !== 429; i++)
      status = (await t.request("/api/v1/logs/search?query=x")).status;
    expect(status).toBe(429);
    const reset = await t.request(`/api/v1/rate-limits/reset/${encodeURIComponent("ip:unknown")}`, {
      method: "DELETE",
      headers: admin(),
    });
    expect(await reset.json()).toEqual({ reset: "ip:unknown" });
    expect((await t.request("/api/v1/logs/search?query=x")).status).toBe(200);
    expect(
      (await t.request("/api/v1/rate-limits/reset/not%20valid", { method: "DELETE", headers: admin() }))
        .status,
    ).toBe(400);
    expect(
      (await t.request("/api/v1/rate-limits/reset-all", { method: "DELETE", headers: admin() })).status,
    ).toBe(200);
  });
});

describe("body limits on every route", () => {
  test("a body over 1 MiB to a non-ingest route is a 413, never read whole", async () => {
    const res = await t.request("/api/v1/auth/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "x".repeat(2 * 1024 * 1024) }),
    });
    expect(res.status).toBe(413);
  });
});
