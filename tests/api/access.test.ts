import { describe, expect, test } from "bun:test";
import { loadConfig } from "../../core/config.ts";
import { ingest, suiteApp, type TestApp } from "../helpers/app.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

/** What an instance started with ENVIRONMENT=production needs set. */
export const PRODUCTION = {
  ENVIRONMENT: "production",
  SECRET_KEY: "p".repeat(40),
  ADMIN_PASSWORD: "correct-horse-battery-7",
};

/** Every read route of the API, with parameters that pass validation. */
const READS = [
  "/api/v1/logs/search?q=x",
  "/api/v1/logs/recent",
  "/api/v1/logs/tail",
  "/api/v1/logs/00000000-0000-7000-8000-000000000000",
  "/api/v1/logs/00000000-0000-7000-8000-000000000000/context",
  "/api/v1/correlation/trace/abc",
  "/api/v1/metrics/overview",
  "/api/v1/metrics/service/api",
  "/api/v1/metrics/system",
  "/api/v1/metrics/timeseries",
  "/api/v1/alerts/rules",
  "/api/v1/alerts/triggered",
  "/api/v1/anomaly/report",
  "/api/v1/anomaly/recorded",
  "/api/v1/anomaly/detect/error-rate",
  "/api/v1/cache/stats",
];

const bearer = (token: string): RequestInit => ({ headers: { authorization: `Bearer ${token}` } });

async function createKey(t: TestApp, scopes: string[]): Promise<string> {
  const res = await t.request("/api/v1/api-keys", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${t.adminToken}` },
    body: JSON.stringify({ name: `k-${scopes.join("-")}`, scopes }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { key: string }).key;
}

describe("READ_ACCESS and METRICS_TOKEN resolve from the environment", () => {
  test("authenticated reads and closed registration by default in production only", () => {
    const prod = loadConfig(PRODUCTION);
    expect(prod.READ_ACCESS).toBe("authenticated");
    expect(prod.REGISTRATION).toBe("closed");
    const dev = loadConfig({});
    expect(dev.READ_ACCESS).toBe("public");
    expect(dev.REGISTRATION).toBe("open");
    expect(loadConfig({ ...PRODUCTION, READ_ACCESS: "public" }).READ_ACCESS).toBe("public");
    expect(() => loadConfig({ READ_ACCESS: "everyone" })).toThrow(/READ_ACCESS/);
  });

  test("production refuses a weak ADMIN_PASSWORD, saying why", () => {
    for (const weak of ["password1", "admin-2026!", "short"]) {
      expect(() => loadConfig({ ...PRODUCTION, ADMIN_PASSWORD: weak })).toThrow(
        /ADMIN_PASSWORD: must|ADMIN_PASSWORD: is one/,
      );
    }
    expect(loadConfig({ ADMIN_PASSWORD: "password1" }).ADMIN_PASSWORD).toBe("password1"); // development
  });
});

describe("production: reads take a session or a read key", () => {
  const t = suiteApp({ ...PRODUCTION, METRICS_TOKEN: "prometheus-scrape-token-1" });

  test("every read route is 401 without a token, and answers with the admin's session", async () => {
    for (const path of READS) {
      const anon = await t.request(path);
      expect({ path, status: anon.status }).toEqual({ path, status: 401 });
      expect(anon.headers.get("content-type")).toContain("application/problem+json");
      expect(anon.headers.get("www-authenticate")).toContain("Bearer");
      const authed = await t.request(path, {
        ...bearer(t.adminToken),
        signal: path.endsWith("/tail") ? AbortSignal.timeout(5_000) : undefined,
      });
      expect({ path, status: authed.status }).not.toEqual({ path, status: 401 });
      await authed.body?.cancel();
    }
  });

  test("a forged or garbage token is 401 too, saying the token is the problem", async () => {
    const res = await t.request("/api/v1/logs/recent", bearer("not-a-token"));
    expect(res.status).toBe(401);
    expect(((await res.json()) as { detail: string }).detail).toContain("Invalid");
  });

  test("an API key reads with the read scope and is refused without it", async () => {
    const service = `access-${crypto.randomUUID().slice(0, 8)}`;
    expect((await ingest(t, [{ service, message: "hello" }])).status).toBe(200);
    const reader = await createKey(t, ["read"]);
    const shipper = await createKey(t, ["ingest"]);
    const ok = await t.request(`/api/v1/logs/search?service=${service}`, bearer(reader));
    expect(ok.status).toBe(200);
    const refused = await t.request(`/api/v1/logs/search?service=${service}`, bearer(shipper));
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { detail: string }).detail).toContain("read scope");
  });

  test("/health tells an anonymous caller its status only, a signed-in one the details", async () => {
    const anon = (await (await t.request("/health")).json()) as Record<string, unknown>;
    expect(Object.keys(anon).sort()).toEqual(["status", "timestamp"]);
    const authed = (await (await t.request("/health", bearer(t.adminToken))).json()) as Record<
      string,
      unknown
    >;
    expect(authed.services).toBeDefined();
  });

  test("/metrics takes METRICS_TOKEN or an admin, and refuses anyone else", async () => {
    expect((await t.request("/metrics")).status).toBe(401);
    expect((await t.request("/metrics", bearer("prometheus-scrape-token-2"))).status).toBe(401);
    const scrape = await t.request("/metrics", bearer("prometheus-scrape-token-1"));
    expect(scrape.status).toBe(200);
    expect(await scrape.text()).toContain("# TYPE");
    expect((await t.request("/metrics", bearer(t.adminToken))).status).toBe(200);
    expect((await t.request("/metrics", bearer(await createKey(t, ["read"])))).status).toBe(403);
  });

  test("registration is closed: register is a 403 saying so, and an admin creates accounts", async () => {
    const body = { username: "mallory", email: "mallory@example.com", password: "long-enough-pass-9" };
    const res = await t.request("/api/v1/auth/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(((await res.json()) as { detail: string }).detail).toContain("REGISTRATION=closed");
    const made = await t.request("/api/v1/auth/users", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${t.adminToken}` },
      body: JSON.stringify(body),
    });
    expect(made.status).toBe(201);
    const login = await t.request("/api/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "Mallory", password: body.password }),
    });
    expect(login.status).toBe(200);
  });

  test("a common breached password is refused with a 422 saying why", async () => {
    for (const password of ["password", "12345678", "iloveyou1"]) {
      const res = await t.request("/api/v1/auth/users", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${t.adminToken}` },
        body: JSON.stringify({ username: "victor", email: "victor@example.com", password }),
      });
      expect({ password, status: res.status }).toEqual({ password, status: 422 });
      expect(((await res.json()) as { detail: string }).detail).toContain("most common passwords");
    }
  });

  test("the trace context, the API reference and login stay open", async () => {
    expect((await t.request("/api/v1/trace/context")).status).toBe(200);
    expect((await t.request("/openapi.json")).status).toBe(200);
  });
});

describe("production without METRICS_TOKEN", () => {
  const t = suiteApp({ ...PRODUCTION });
  test("/metrics is an admin's only", async () => {
    expect((await t.request("/metrics")).status).toBe(401);
    expect((await t.request("/metrics", bearer(t.adminToken))).status).toBe(200);
  });
});

describe("READ_ACCESS=public in production opens reads again", () => {
  const t = suiteApp({ ...PRODUCTION, READ_ACCESS: "public" });
  test("search answers without a token", async () => {
    expect((await t.request("/api/v1/logs/recent")).status).toBe(200);
    expect((await t.request("/health")).status).toBe(200);
  });
});

describe("development: reads and /metrics stay open", () => {
  const t = suiteApp();
  test("reads and metrics answer without a token", async () => {
    expect((await t.request("/api/v1/logs/recent")).status).toBe(200);
    expect((await t.request("/api/v1/alerts/rules")).status).toBe(200);
    expect((await t.request("/metrics")).status).toBe(200);
    const health = (await (await t.request("/health")).json()) as Record<string, unknown>;
    expect(health.services).toBeDefined();
  });
});
