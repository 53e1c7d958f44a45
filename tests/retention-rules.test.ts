/**
 * Per-service retention (issue 18): which rule applies to a service, the hourly job deleting each
 * service's events past its rule's days (on PGlite, a real Postgres server and OpenSearch, with an injected
 * clock), and the admin endpoints with what GET /api/v1/metrics/system shows of them.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { Sql } from "postgres";
import { openEmbeddedDatabase } from "../core/adapters/pglite/open.ts";
import { connectPostgres } from "../core/adapters/postgres/connect.ts";
import { EMBEDDED_STORE_OPTIONS, PostgresLogStore } from "../core/adapters/postgres/log-store.ts";
import { migrate } from "../core/adapters/postgres/migrate.ts";
import { PostgresRetentionRuleRepo } from "../core/adapters/postgres/retention-rule-repo.ts";
import { PostgresSystemConfigRepo } from "../core/adapters/postgres/system-config-repo.ts";
import { SearchLogStore } from "../core/adapters/search/log-store.ts";
import { openSearchEngine } from "../core/adapters/search/opensearch.ts";
import type { LogStore } from "../core/ports/log-store.ts";
import { DAY_MS, RETENTION_KEY } from "../core/retention/plan.ts";
import { matches, ruleFor } from "../core/retention/rules.ts";
import { startRetention } from "../core/retention/runner.ts";
import { MIGRATIONS } from "../db/migrations/index.ts";
import { suiteApp } from "./helpers/app.ts";
import {
  freshPostgresDatabase,
  OPENSEARCH_TEST_URL,
  opensearchReachable,
  postgresReachable,
} from "./helpers/engines.ts";
import { logEvent } from "./helpers/events.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";

integrationTimeouts();

describe("which rule applies to a service", () => {
  const rules = ["checkout-*", "checkout-eu-*", "checkout-eu-api", "*-worker", "a*b*c"].map((pattern) => ({
    pattern,
  }));
  const pick = (service: string) => ruleFor(service, rules)?.pattern;

  test("* is any run of characters, the rest literal", () => {
    expect(matches("checkout-*", "checkout-")).toBe(true);
    expect(matches("checkout-*", "checkout")).toBe(false);
    expect(matches("*-worker", "mail-worker")).toBe(true);
    expect(matches("a*b*c", "abc")).toBe(true);
    expect(matches("a*b*c", "a-c-b")).toBe(false);
    expect(matches("a*b*c", "axxbyyc")).toBe(true);
    expect(matches("ab*ba", "aba")).toBe(false);
    expect(matches("pay.svc", "payXsvc")).toBe(false);
  });

  test("an exact name beats any glob, a longer glob a shorter one", () => {
    expect(pick("checkout-eu-api")).toBe("checkout-eu-api");
    expect(pick("checkout-eu-web")).toBe("checkout-eu-*");
    expect(pick("checkout-us")).toBe("checkout-*");
    // Both globs match; checkout-* has more literal characters than *-worker.
    expect(pick("checkout-worker")).toBe("checkout-*");
    expect(pick("payments")).toBeUndefined();
  });
});

const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);

interface Engine {
  /** Rules and settings (always Postgres); the logs too unless `store` is a search engine's. */
  sql: Sql;
  store: LogStore;
  /** Empty the store between tests (the database's tables are emptied by the suite). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

const reachable = await postgresReachable();
const searchReachable = await opensearchReachable();

const engines: [string, boolean, () => Promise<Engine>][] = [
  [
    "PGlite",
    true,
    async () => {
      const db = await openEmbeddedDatabase("memory://");
      await migrate(db.sql, MIGRATIONS);
      return {
        sql: db.sql,
        store: new PostgresLogStore(db.sql, EMBEDDED_STORE_OPTIONS),
        reset: async () => {},
        close: () => db.close(),
      };
    },
  ],
  [
    "Postgres server",
    reachable,
    async () => {
      const db = await freshPostgresDatabase();
      const sql = connectPostgres(db.url, { max: 2, applicationName: "logflow-test" });
      await migrate(sql, MIGRATIONS);
      return {
        sql,
        store: new PostgresLogStore(sql),
        reset: async () => {},
        async close() {
          await sql.end({ timeout: 5 });
          await db.drop();
        },
      };
    },
  ],
  [
    // The search-engine profile: logs in OpenSearch (a fresh index prefix per test), rules in PGlite.
    "OpenSearch",
    searchReachable,
    async () => {
      const db = await openEmbeddedDatabase("memory://");
      await migrate(db.sql, MIGRATIONS);
      const os = openSearchEngine({ url: OPENSEARCH_TEST_URL });
      const prefixes: string[] = [];
      const fresh = () => {
        prefixes.push(`logflow-test-rr-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`);
        return new SearchLogStore(os, { indexPrefix: prefixes.at(-1)! });
      };
      const engine: Engine = {
        sql: db.sql,
        store: fresh(),
        async reset() {
          engine.store = fresh();
        },
        async close() {
          for (const p of prefixes) {
            await os.transport({ method: "DELETE", path: `/${p}-*` });
            await os.transport({ method: "DELETE", path: `/_index_template/${p}` });
          }
          await os.close();
          await db.close();
        },
      };
      return engine;
    },
  ],
];

for (const [name, available, open] of engines) {
  describe.skipIf(!available)(`the hourly job applies per-service rules (${name})`, () => {
    let engine: Engine;
    let rules: PostgresRetentionRuleRepo;
    beforeAll(async () => {
      engine = await open();
      rules = new PostgresRetentionRuleRepo(engine.sql);
    }, 60_000);
    beforeEach(async () => {
      await engine.reset();
      await engine.sql`truncate logs`;
      await engine.sql`delete from log_minutes`;
      await engine.sql`delete from retention_rules`;
      await new PostgresSystemConfigRepo(engine.sql).set(RETENTION_KEY, { days: 30 });
    }, 30_000);
    afterAll(async () => {
      await engine?.close();
    }, 30_000);

    /** One event per service and age (whole days plus an hour before NOW). */
    const storeAged = (services: string[], days: number[]) =>
      engine.store.write(
        services.flatMap((service) =>
          days.map((d) => logEvent(NOW - d * DAY_MS - 3_600_000, { service, message: `aged ${d}` })),
        ),
      );
    const agesOf = async (service: string) => {
      const page = await engine.store.search({ services: [service], limit: 1000 });
      return page.logs.map((e) => Number(e.message.slice(5))).sort((a, b) => a - b);
    };
    /** One retention start (RETENTION_DAYS=30, confirmed) at NOW; resolves after its first pass. */
    const pass = async () => {
      const lines: Record<string, unknown>[] = [];
      const job = startRetention({
        store: engine.store,
        settings: new PostgresSystemConfigRepo(engine.sql),
        rules,
        days: 30,
        confirmed: false,
        now: () => NOW,
        log: (l) => lines.push(l),
      });
      await job.ready;
      await job.close();
      return lines;
    };

    test("each service keeps its most specific rule's days; others keep RETENTION_DAYS", async () => {
      await storeAged(["checkout-eu", "checkout-us", "payments"], [1, 3, 8, 20, 40]);
      await rules.put("checkout-*", 7, "admin");
      await rules.put("checkout-eu", 2, "admin");
      const lines = await pass();

      expect(await agesOf("checkout-eu")).toEqual([1]);
      expect(await agesOf("checkout-us")).toEqual([1, 3]);
      expect(await agesOf("payments")).toEqual([1, 3, 8, 20]);
      expect(lines.filter((l) => l.level === "ERROR")).toEqual([]);

      // What each rule removed beyond RETENTION_DAYS (the 40-day-old events went with the global pass).
      const listed = await rules.list();
      expect(listed.map((r) => [r.pattern, r.days, r.last_run?.removed])).toEqual([
        ["checkout-eu", 2, 3],
        ["checkout-*", 7, 2],
      ]);
      expect(listed[0]?.last_run?.at).toBe(new Date(NOW).toISOString());
      // Per-service counts (log_minutes on Postgres) agree with what is left.
      expect(await engine.store.breakdown({}, "service")).toEqual([
        { key: "payments", count: 4 },
        { key: "checkout-us", count: 2 },
        { key: "checkout-eu", count: 1 },
      ]);

      // The next pass finds nothing more, and records that.
      await pass();
      expect((await rules.list()).map((r) => r.last_run?.removed)).toEqual([0, 0]);
    });

    test("a rule that matches nothing is recorded as removing nothing; no rules, nothing per service", async () => {
      await storeAged(["payments"], [1, 10]);
      await pass();
      expect(await agesOf("payments")).toEqual([1, 10]);
      await rules.put("checkout-*", 3, "admin");
      await pass();
      expect(await agesOf("payments")).toEqual([1, 10]);
      expect((await rules.list())[0]?.last_run?.removed).toBe(0);
    });
  });
}

describe("the admin endpoints and /api/v1/metrics/system", () => {
  const t = suiteApp({ RETENTION_DAYS: "30" });
  // The pass made at start would otherwise record a last_run in the middle of a test.
  beforeAll(() => t.runtime.retention?.ready);
  const admin = () => ({ authorization: `Bearer ${t.adminToken}`, "content-type": "application/json" });
  const put = (pattern: string, body: unknown, headers = admin()) =>
    t.request(`/api/v1/retention/rules/${encodeURIComponent(pattern)}`, {
      method: "PUT",
      headers,
      body: JSON.stringify(body),
    });

  test("put creates and then changes a rule by pattern; list and metrics show it; delete removes it", async () => {
    const before = (await (await t.request("/api/v1/metrics/system")).json()) as { retention: unknown };
    expect(before.retention).toEqual({ retention_days: 30, rules: [] });
    const ago = (days: number) => new Date(Date.now() - days * DAY_MS - 3_600_000).toISOString();
    const shipped = await t.request("/api/v1/ingest", {
      method: "POST",
      headers: admin(),
      body: JSON.stringify([
        { service: "checkout-eu", level: "INFO", message: "old", timestamp: ago(5) },
        { service: "checkout-eu", level: "INFO", message: "new", timestamp: ago(1) },
        { service: "checkout-us", level: "INFO", message: "old", timestamp: ago(6) },
      ]),
    });
    expect(shipped.status).toBeLessThan(300);

    const created = await put("checkout-*", { days: 7 });
    expect(created.status).toBe(200);
    expect(await created.json()).toMatchObject({
      pattern: "checkout-*",
      days: 7,
      created_by: "admin",
      last_run: null,
      events_to_delete: 0,
      services: [],
    });
    // The answer says what the next hourly pass will delete, since a rule does not ask first.
    const shorter = await put("checkout-*", { days: 5 });
    expect(shorter.status).toBe(200);
    expect(await shorter.json()).toMatchObject({
      events_to_delete: 2,
      services: ["checkout-eu", "checkout-us"],
    });
    const exact = await put("checkout-eu", { days: 2 });
    expect(await exact.json()).toMatchObject({ events_to_delete: 1, services: ["checkout-eu"] });

    const list = await t.request("/api/v1/retention/rules", { headers: admin() });
    expect(list.status).toBe(200);
    const body = (await list.json()) as {
      retention_days: number;
      rules: { pattern: string; days: number }[];
    };
    expect(body.retention_days).toBe(30);
    expect(body.rules.map((r) => [r.pattern, r.days])).toEqual([
      ["checkout-eu", 2],
      ["checkout-*", 5],
    ]);

    // Shown at once, although the system metrics are cached (the earlier answer had no rules).
    const system = (await (await t.request("/api/v1/metrics/system")).json()) as {
      retention: { retention_days: number; rules: Record<string, unknown>[] };
    };
    expect(system.retention).toEqual({
      retention_days: 30,
      rules: [
        { pattern: "checkout-eu", days: 2, last_run: null },
        { pattern: "checkout-*", days: 5, last_run: null },
      ],
    });

    const del = (p: string) =>
      t.request(`/api/v1/retention/rules/${encodeURIComponent(p)}`, { method: "DELETE", headers: admin() });
    expect((await del("checkout-*")).status).toBe(204);
    const again = await del("checkout-*");
    expect(again.status).toBe(404);
    expect(((await again.json()) as { detail: string }).detail).toContain(
      'No retention rule for "checkout-*"',
    );
    expect((await del("checkout-eu")).status).toBe(204);
    const after = (await (await t.request("/api/v1/metrics/system")).json()) as { retention: unknown };
    expect(after.retention).toEqual({ retention_days: 30, rules: [] });
  });

  test("days past RETENTION_DAYS and bad days are 422, a bad pattern (the address) 400, each saying why", async () => {
    const longer = await put("checkout-*", { days: 31 });
    expect(longer.status).toBe(422);
    expect(longer.headers.get("content-type")).toContain("application/problem+json");
    expect(((await longer.json()) as { detail: string }).detail).toContain("at most RETENTION_DAYS (30)");

    for (const days of [0, 2.5, "7"]) expect((await put("checkout-*", { days })).status).toBe(422);
    expect((await put("checkout-*", { days: 7, extra: 1 })).status).toBe(422);

    const star = await put("*", { days: 7 });
    expect(star.status).toBe(400);
    expect(star.headers.get("content-type")).toContain("application/problem+json");
    expect(JSON.stringify(await star.json())).toContain("set RETENTION_DAYS for that instead");
    expect((await put("x".repeat(129), { days: 7 })).status).toBe(400);

    const list = (await (await t.request("/api/v1/retention/rules", { headers: admin() })).json()) as {
      rules: unknown[];
    };
    expect(list.rules).toEqual([]);
  });

  test("only an admin may read or change rules", async () => {
    expect((await t.request("/api/v1/retention/rules")).status).toBe(401);
    const user = { username: "retention_reader", email: "rr@example.com", password: "not-an-admin-pw" };
    const made = await t.request("/api/v1/auth/users", {
      method: "POST",
      headers: admin(),
      body: JSON.stringify({ ...user, is_admin: false }),
    });
    expect(made.status).toBe(201);
    const login = await t.request("/api/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: user.username, password: user.password }),
    });
    const { access_token } = (await login.json()) as { access_token: string };
    const headers = { authorization: `Bearer ${access_token}`, "content-type": "application/json" };
    expect((await t.request("/api/v1/retention/rules", { headers })).status).toBe(403);
    expect((await put("checkout-*", { days: 7 }, headers)).status).toBe(403);
  });
});
