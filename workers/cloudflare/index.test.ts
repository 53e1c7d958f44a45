import { afterEach, describe, expect, spyOn, test } from "bun:test";
import { POSTGRES_ADMIN_URL, postgresReachable } from "../../tests/helpers/engines.ts";
import worker from "./index.ts";

// The Worker's handlers called in-process (Bun), with a fake ExecutionContext. That workerd runs the
// same module is tests/edge/workerd.test.ts.

const SECRET_KEY = "worker-unit-test-secret-0123456789abcdef";
const withPostgres = await postgresReachable();

function context() {
  const pending: Promise<unknown>[] = [];
  return { ctx: { waitUntil: (p: Promise<unknown>) => void pending.push(p) }, pending };
}

afterEach(() => {
  spyOn(console, "log").mockRestore();
  spyOn(console, "error").mockRestore();
});

describe("Workers fetch", () => {
  test("without DATABASE_URL /health is 503 and the per-request client is closed after the response", async () => {
    spyOn(console, "log").mockImplementation(() => {});
    const { ctx, pending } = context();
    const res = await worker.fetch(new Request("http://w/health"), { SECRET_KEY, ENVIRONMENT: "test" }, ctx);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { services: Record<string, string>; details: Record<string, string> };
    expect(body.services.database).toBe("unhealthy");
    expect(body.details.database).toContain("DATABASE_URL is not set");
    expect(pending).toHaveLength(1);
    await Promise.all(pending);
  });

  test("a missing SECRET_KEY answers a 500 problem naming the variable, on every request", async () => {
    spyOn(console, "error").mockImplementation(() => {});
    const { ctx } = context();
    const res = await worker.fetch(new Request("http://w/health"), { ENVIRONMENT: "test" }, ctx);
    expect(res.status).toBe(500);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.headers.get("x-request-id")).toBeTruthy();
    expect(((await res.json()) as { detail: string }).detail).toContain("SECRET_KEY");
  });

  test("bindings that are not strings are ignored by the config", async () => {
    spyOn(console, "log").mockImplementation(() => {});
    const { ctx, pending } = context();
    const env = { SECRET_KEY, ENVIRONMENT: "test", ASSETS: { fetch: () => new Response() }, PORT: 1 };
    const res = await worker.fetch(new Request("http://w/api/v1/nope"), env, ctx);
    expect(res.status).toBe(404);
    await Promise.all(pending);
  });

  test.skipIf(!withPostgres)("a Hyperdrive binding is preferred over DATABASE_URL", async () => {
    spyOn(console, "log").mockImplementation(() => {});
    const { ctx, pending } = context();
    const env = {
      SECRET_KEY,
      ENVIRONMENT: "test",
      DATABASE_URL: "postgres://nobody@127.0.0.1:1/none",
      HYPERDRIVE: { connectionString: POSTGRES_ADMIN_URL },
    };
    const res = await worker.fetch(new Request("http://w/health"), env, ctx);
    const body = (await res.json()) as { services: Record<string, string>; details: Record<string, string> };
    expect(body.services.database).toBe("healthy");
    expect(body.details.database).toBe("postgres (hyperdrive)");
    await Promise.all(pending);
  });
});

describe("Workers scheduled", () => {
  test("says that no scheduled jobs exist yet instead of pretending to run any", async () => {
    const log = spyOn(console, "log").mockImplementation(() => {});
    const { ctx } = context();
    await worker.scheduled({ cron: "* * * * *", scheduledTime: Date.UTC(2026, 0, 1) }, {}, ctx);
    expect(log).toHaveBeenCalledTimes(1);
    const line = JSON.parse(String(log.mock.calls[0]?.[0])) as Record<string, unknown>;
    expect(line).toMatchObject({
      level: "INFO",
      cron: "* * * * *",
      scheduled_time: "2026-01-01T00:00:00.000Z",
    });
    expect(String(line.msg)).toContain("no scheduled jobs exist yet");
  });
});
