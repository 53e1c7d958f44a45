import { afterEach, describe, expect, spyOn, test } from "bun:test";
import { POSTGRES_ADMIN_URL, postgresReachable } from "../../tests/helpers/engines.ts";
import { integrationTimeouts } from "../../tests/helpers/timeouts.ts";
import worker from "./index.ts";

integrationTimeouts();

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
  test("without a database it says so and evaluates nothing", async () => {
    const log = spyOn(console, "log").mockImplementation(() => {});
    const { ctx } = context();
    await worker.scheduled({ cron: "* * * * *", scheduledTime: Date.UTC(2026, 0, 1) }, { SECRET_KEY }, ctx);
    const line = JSON.parse(String(log.mock.calls[0]?.[0])) as Record<string, unknown>;
    expect(line).toMatchObject({ level: "WARNING", cron: "* * * * *" });
    expect(String(line.msg)).toContain("no DATABASE_URL");
  });

  test("a misconfigured Worker logs why instead of throwing", async () => {
    const error = spyOn(console, "error").mockImplementation(() => {});
    const { ctx } = context();
    await worker.scheduled({ cron: "* * * * *", scheduledTime: Date.UTC(2026, 0, 1) }, {}, ctx);
    expect(String(error.mock.calls[0]?.[0])).toContain("SECRET_KEY");
  });

  test.skipIf(!withPostgres)("runs one alert tick, once per tick even when triggered twice", async () => {
    const { freshPostgresDatabase } = await import("../../tests/helpers/engines.ts");
    const { connectPostgres } = await import("../../core/adapters/postgres/connect.ts");
    const { migrate } = await import("../../core/adapters/postgres/migrate.ts");
    const { MIGRATIONS } = await import("../../db/migrations/index.ts");
    const { PostgresAlertRuleRepo, PostgresTriggeredAlertRepo } = await import(
      "../../core/adapters/postgres/alert-repo.ts"
    );
    const { PostgresLogStore } = await import("../../core/adapters/postgres/log-store.ts");
    const { logEvent } = await import("../../tests/helpers/events.ts");
    const { AlertRuleCreateSchema } = await import("../../core/alerts/schema.ts");
    const db = await freshPostgresDatabase();
    const sql = connectPostgres(db.url, { max: 2 });
    try {
      await migrate(sql, MIGRATIONS);
      const rule = await new PostgresAlertRuleRepo(sql).create({
        ...AlertRuleCreateSchema.parse({
          name: "any error",
          condition: "greater_than",
          threshold: 0,
          levels: ["ERROR"],
        }),
        created_by: null,
        signing_secret: "s",
      });
      const at = Date.now() - 1000;
      await new PostgresLogStore(sql).write([
        logEvent(at, { service: "w", level: "ERROR", message: "boom" }),
      ]);
      const lines: Record<string, unknown>[] = [];
      spyOn(console, "log").mockImplementation((text: unknown) => void lines.push(JSON.parse(String(text))));
      const env = { SECRET_KEY, DATABASE_URL: db.url };
      const scheduledTime = Date.now();
      await worker.scheduled({ cron: "* * * * *", scheduledTime }, env, context().ctx);
      await worker.scheduled({ cron: "* * * * *", scheduledTime }, env, context().ctx);
      const ticks = lines.filter((l) => String(l.msg).startsWith("alert tick"));
      expect(ticks.map((l) => l.msg)).toEqual(["alert tick", "alert tick already evaluated elsewhere"]);
      expect(ticks[0]).toMatchObject({ rules: 1, fired: 1 });
      const alerts = await new PostgresTriggeredAlertRepo(sql).list({
        rule_id: rule.id,
        limit: 10,
        offset: 0,
      });
      expect(alerts.total).toBe(1);
    } finally {
      await sql.end({ timeout: 5 });
      await db.drop();
    }
  });
});
