import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestApp, type TestApp } from "../helpers/app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
}, 60_000);
afterAll(async () => {
  await t.close();
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
