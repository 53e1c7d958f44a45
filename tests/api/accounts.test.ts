import { describe, expect, test } from "bun:test";
import { callJson, suiteApp } from "../helpers/app.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

// Rate limits on, and the client address taken from X-Forwarded-For so that tests can be many clients.
const t = suiteApp({ RATE_LIMIT_ENABLED: "true", TRUST_PROXY: "true" });

let addressCounter = 0;
/** A fresh client address per call, so that only the limit under test can bite. */
const freshAddress = () => `198.51.100.${(addressCounter++ % 250) + 1}, 10.0.0.${addressCounter % 250}`;

function call(method: string, path: string, body?: unknown, token?: string | null, address = freshAddress()) {
  return callJson(t, method, path, body, token, { "x-forwarded-for": address });
}

const uniqueName = (prefix: string) => `${prefix}_${crypto.randomUUID().slice(0, 8)}`;

async function account(
  password = "long-enough-pass-9",
): Promise<{ id: number; username: string; token: string }> {
  const username = uniqueName("acct");
  const reg = await call("POST", "/api/v1/auth/register", {
    username,
    email: `${username}@example.com`,
    password,
  });
  expect(reg.status).toBe(201);
  return { id: reg.body.id, username, token: await login(username, password) };
}

async function login(username: string, password: string): Promise<string> {
  const res = await call("POST", "/api/v1/auth/login", { username, password });
  expect(res.status).toBe(200);
  return res.body.access_token;
}

describe("tokens die with their password, their account or their rights", () => {
  test("after a password change the old token is refused and cannot mint API keys", async () => {
    const a = await account();
    expect((await call("GET", "/api/v1/auth/me", undefined, a.token)).status).toBe(200);
    const changed = await call(
      "PUT",
      "/api/v1/auth/me",
      { password: "another-long-pass-8", current_password: "long-enough-pass-9" },
      a.token,
    );
    expect(changed.status).toBe(200);
    expect((await call("GET", "/api/v1/auth/me", undefined, a.token)).status).toBe(401);
    const mint = await call("POST", "/api/v1/api-keys", { name: "k", scopes: ["ingest"] }, a.token);
    expect(mint.status).toBe(401);
    const fresh = await login(a.username, "another-long-pass-8");
    expect((await call("GET", "/api/v1/auth/me", undefined, fresh)).status).toBe(200);
    // A change of name or email alone keeps the session.
    expect((await call("PUT", "/api/v1/auth/me", { full_name: "Still Me" }, fresh)).status).toBe(200);
    expect((await call("GET", "/api/v1/auth/me", undefined, fresh)).status).toBe(200);
  });

  test("an admin disabling an account revokes its tokens and API keys; enabling lets it log in again", async () => {
    const a = await account();
    const key = await call("POST", "/api/v1/api-keys", { name: "shipper", scopes: ["ingest"] }, a.token);
    expect(key.status).toBe(201);
    const ingest = () => call("POST", "/api/v1/ingest", [{ service: "svc", message: "m" }], key.body.key);
    expect((await ingest()).status).toBe(200);
    const off = await call("PATCH", `/api/v1/auth/users/${a.id}`, { is_active: false }, t.adminToken);
    expect(off.status).toBe(200);
    expect(off.body.is_active).toBe(false);
    expect((await call("GET", "/api/v1/auth/me", undefined, a.token)).status).toBe(401);
    expect((await ingest()).status).toBe(401);
    const refused = await call("POST", "/api/v1/auth/login", {
      username: a.username,
      password: "long-enough-pass-9",
    });
    expect(refused.status).toBe(401);
    expect(
      (await call("PATCH", `/api/v1/auth/users/${a.id}`, { is_active: true }, t.adminToken)).status,
    ).toBe(200);
    expect((await call("GET", "/api/v1/auth/me", undefined, a.token)).status).toBe(401); // still revoked
    await login(a.username, "long-enough-pass-9");
  });

  test("a deleted account's tokens and keys are refused", async () => {
    const a = await account();
    const key = await call("POST", "/api/v1/api-keys", { name: "k", scopes: ["ingest"] }, a.token);
    expect((await call("DELETE", `/api/v1/auth/users/${a.id}`, undefined, t.adminToken)).status).toBe(204);
    expect((await call("GET", "/api/v1/auth/me", undefined, a.token)).status).toBe(401);
    expect(
      (await call("POST", "/api/v1/ingest", [{ service: "s", message: "m" }], key.body.key)).status,
    ).toBe(401);
    expect((await call("DELETE", `/api/v1/auth/users/${a.id}`, undefined, t.adminToken)).status).toBe(404);
  });

  test("admin rights come from the account, not from the token", async () => {
    const a = await account();
    expect((await call("GET", "/api/v1/auth/users", undefined, a.token)).status).toBe(403);
    const up = await call("PATCH", `/api/v1/auth/users/${a.id}`, { is_admin: true }, t.adminToken);
    expect(up.status).toBe(200);
    const adminToken = await login(a.username, "long-enough-pass-9");
    expect((await call("GET", "/api/v1/auth/users", undefined, adminToken)).status).toBe(200);
    // A token signed with the server's own key whose claims still say admin, after a demotion.
    await call("PATCH", `/api/v1/auth/users/${a.id}`, { is_admin: false }, t.adminToken);
    const state = await t.runtime.deps.users.authState(a.id);
    const stale = await t.runtime.deps.tokens.issue({
      id: a.id,
      username: a.username,
      isAdmin: true,
      tokenVersion: state!.tokenVersion,
    });
    expect((await call("GET", "/api/v1/auth/users", undefined, stale.access_token)).status).toBe(403);
    expect((await call("GET", "/api/v1/auth/users", undefined, adminToken)).status).toBe(401);
  });

  test("an admin cannot disable, demote or delete their own account", async () => {
    const me = await call("GET", "/api/v1/auth/me", undefined, t.adminToken);
    const id = me.body.id;
    expect((await call("PATCH", `/api/v1/auth/users/${id}`, { is_admin: false }, t.adminToken)).status).toBe(
      403,
    );
    expect((await call("DELETE", `/api/v1/auth/users/${id}`, undefined, t.adminToken)).status).toBe(403);
    expect((await call("GET", "/api/v1/auth/me", undefined, t.adminToken)).status).toBe(200);
  });

  test("only an admin may create, change or delete accounts", async () => {
    const a = await account();
    const body = {
      username: uniqueName("made"),
      email: `${uniqueName("m")}@example.com`,
      password: "pass-word-77",
    };
    expect((await call("POST", "/api/v1/auth/users", body, a.token)).status).toBe(403);
    expect((await call("POST", "/api/v1/auth/users", body, null)).status).toBe(401);
    expect((await call("PATCH", `/api/v1/auth/users/${a.id}`, { is_admin: true }, a.token)).status).toBe(403);
    const made = await call("POST", "/api/v1/auth/users", { ...body, is_admin: true }, t.adminToken);
    expect(made.status).toBe(201);
    expect(made.body.is_admin).toBe(true);
    await login(body.username, body.password);
  });
});

describe("weak passwords (development: the breached list only warns)", () => {
  test("under 8 characters or containing the username or the email's name is a 422 saying why", async () => {
    const name = uniqueName("frank");
    const reg = (password: string, email = `${name}@example.com`) =>
      call("POST", "/api/v1/auth/register", { username: name, email, password });
    const same = await reg(`${name}`);
    expect(same.status).toBe(422);
    expect(same.body.errors).toContainEqual({ field: "password", message: "must not contain the username" });
    const local = await reg("my-frank.w-secret", "frank.w@example.com");
    expect(local.status).toBe(422);
    expect(local.body.detail).toContain("email");
    expect((await reg("short1")).status).toBe(422);
  });

  test("a common breached password is accepted with a warning in the answer", async () => {
    const name = uniqueName("gina");
    const res = await call("POST", "/api/v1/auth/register", {
      username: name,
      email: `${name}@example.com`,
      password: "12345678",
    });
    expect(res.status).toBe(201);
    expect(res.body.warnings).toEqual([expect.stringContaining("most common passwords")]);
    const fine = await call("POST", "/api/v1/auth/register", {
      username: `${name}x`,
      email: `${name}x@example.com`,
      password: "secure123",
    });
    expect(fine.status).toBe(201);
    expect(fine.body.warnings).toBeUndefined();
  });

  test("changing to a password containing the username is refused, and the old one keeps working", async () => {
    const a = await account();
    const res = await call(
      "PUT",
      "/api/v1/auth/me",
      { password: `${a.username}-2026`, current_password: "long-enough-pass-9" },
      a.token,
    );
    expect(res.status).toBe(422);
    expect((await call("GET", "/api/v1/auth/me", undefined, a.token)).status).toBe(200);
  });
});

describe("usernames are unique without regard to case", () => {
  test("Erin and erin cannot both exist, and either spelling logs in", async () => {
    const name = uniqueName("Erin");
    const first = await call("POST", "/api/v1/auth/register", {
      username: name,
      email: `${name.toLowerCase()}@example.com`,
      password: "long-enough-pass-9",
    });
    expect(first.status).toBe(201);
    const second = await call("POST", "/api/v1/auth/register", {
      username: name.toLowerCase(),
      email: `other-${name.toLowerCase()}@example.com`,
      password: "long-enough-pass-9",
    });
    expect(second.status).toBe(409);
    expect(second.body.detail).toContain("Username already registered");
    await login(name.toUpperCase(), "long-enough-pass-9");
  });
});

describe("login limits count on the address and the account, never on a bearer token", () => {
  test("a valid bearer token does not give an address more login attempts", async () => {
    const a = await account();
    const address = "203.0.113.9";
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) {
      const res = await call(
        "POST",
        "/api/v1/auth/login",
        { username: uniqueName("nobody"), password: "wrong-password" },
        a.token,
        address,
      );
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses[20]).toBe(429);
  });

  test("guesses at one account from many addresses stop at 20 an hour, even with the right password", async () => {
    const a = await account();
    // account() logged in once: 18 guesses and one more make 20.
    for (let i = 0; i < 18; i++) {
      const res = await call("POST", "/api/v1/auth/login", { username: a.username, password: `guess-${i}` });
      expect(res.status).toBe(401);
    }
    // The 20th, in another case, counts on the same account.
    expect(
      (await call("POST", "/api/v1/auth/login", { username: a.username.toUpperCase(), password: "x" }))
        .status,
    ).toBe(401);
    const blocked = await call("POST", "/api/v1/auth/login", {
      username: a.username,
      password: "long-enough-pass-9",
    });
    expect(blocked.status).toBe(429);
    expect(blocked.body.detail).toContain("this account");
    // An admin gives the account its allowance back.
    const reset = await call(
      "DELETE",
      `/api/v1/rate-limits/reset/${encodeURIComponent(`login:${a.username}`)}`,
      undefined,
      t.adminToken,
    );
    expect(reset.status).toBe(200);
    await login(a.username, "long-enough-pass-9");
  });

  test("register counts on the address whatever token comes with it", async () => {
    const a = await account();
    const address = "203.0.113.77";
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const name = uniqueName("reg");
      const res = await call(
        "POST",
        "/api/v1/auth/register",
        { username: name, email: `${name}@example.com`, password: "long-enough-pass-9" },
        a.token,
        address,
      );
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 10).every((s) => s === 201)).toBe(true);
    expect(statuses[10]).toBe(429);
  });
});
