import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { SearchLogStore } from "../core/adapters/search/log-store.ts";
import { openSearchEngine } from "../core/adapters/search/opensearch.ts";
import { type EngineDeps, evaluateRules } from "../core/alerts/engine.ts";
import { recordOnlyNotifier } from "../core/alerts/notify.ts";
import type { Level } from "../core/level.ts";
import type { LogEvent } from "../core/log-event.ts";
import type { LogStore } from "../core/ports/log-store.ts";
import { percentileCont } from "../core/query/aggregate.ts";
import { freshService, type Json, suiteApp, testDatabase } from "./helpers/app.ts";
import { OPENSEARCH_TEST_URL, opensearchReachable } from "./helpers/engines.ts";
import { logEvent } from "./helpers/events.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";

integrationTimeouts(60_000);

const MINUTE = 60_000;
// Whole seconds, ten minutes ago: every event of a test lies in the past of the store's clock.
const NOW = Math.floor(Date.now() / 60_000) * 60_000 - 30 * MINUTE;
const t = suiteApp();

// Throws when LOGFLOW_REQUIRE_ENGINES names opensearch and the node is absent, so CI cannot skip.
const opensearch = await opensearchReachable();

async function request(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Json }> {
  const res = await t.request(path, {
    method,
    headers: { "content-type": "application/json", authorization: `Bearer ${t.adminToken}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: res.status === 204 ? null : await res.json() };
}

async function createRule(body: Record<string, unknown>): Promise<Json> {
  const res = await request("POST", "/api/v1/alerts/rules", {
    name: "grouped",
    condition: "greater_than",
    threshold: 0,
    time_window: 5,
    ...body,
  });
  expect(res.status).toBe(201);
  created.push(res.json.id);
  return res.json;
}

// Each test's rules stop after it, so that later ticks (on another store) evaluate only their own.
const created: number[] = [];
afterEach(async () => {
  for (const id of created.splice(0)) await t.runtime.deps.alertRules.update(id, { is_active: false });
});

/** The rule's alerts as the API answers them, oldest first. */
async function alertsOf(ruleId: number): Promise<Json[]> {
  const res = await request("GET", `/api/v1/alerts/triggered?rule_id=${ruleId}&limit=100`);
  expect(res.status).toBe(200);
  return res.json.alerts.reverse();
}

const openBy = (alerts: Json[]) =>
  Object.fromEntries(
    alerts.filter((a) => a.status !== "resolved").map((a) => [a.group.service ?? "(none)", a.value]),
  );

function groupedSuite(name: string, storeOf: () => LogStore, exactPercentiles: boolean) {
  describe(name, () => {
    const engine = (): EngineDeps => ({
      store: storeOf(),
      rules: t.runtime.deps.alertRules,
      alerts: t.runtime.deps.triggeredAlerts,
      notify: recordOnlyNotifier,
    });
    const write = (events: LogEvent[]) => storeOf().write(events);
    const at = (ts: number, service: string, fields: Partial<LogEvent> = {}) =>
      logEvent(ts, { service, level: "ERROR" as Level, message: "payment failed", ...fields });

    test("fires once per group, records the group, and resolves each group on its own", async () => {
      const [a, b, c] = [freshService("a"), freshService("b"), freshService("c")];
      await write([
        ...[1, 2, 3].map((k) => at(NOW - MINUTE - k * 1000, a)),
        ...[1, 2, 3, 4].map((k) => at(NOW - MINUTE - k * 1000, b)),
        at(NOW - MINUTE, c),
      ]);
      const rule = await createRule({ group_by: ["service"], services: [a, b, c], threshold: 2 });
      expect(rule.group_by).toEqual(["service"]);
      expect(rule.aggregation).toBe("count");

      const first = await evaluateRules(engine(), NOW);
      expect(first.fired).toBeGreaterThanOrEqual(2);
      let alerts = await alertsOf(rule.id);
      expect(openBy(alerts)).toEqual({ [a]: 3, [b]: 4 });
      const alertA = alerts.find((x) => x.group.service === a);
      expect(alertA.group).toEqual({ service: a });
      expect(alertA.aggregation).toBe("count");
      expect(alertA.message).toBe(`grouped [service=${a}]: 3 matching logs in the last 5 min (> 2)`);
      expect(alertA.sample_log_ids.length).toBe(3);
      expect((await request("GET", `/api/v1/alerts/triggered/${alertA.id}`)).json.group).toEqual({
        service: a,
      });
      expect(first.groups.get(rule.id)?.map((g) => [g.group?.service, g.value])).toEqual(
        expect.arrayContaining([
          [a, 3],
          [b, 4],
          [c, 1],
        ]),
      );

      // The same tick again: every group already has its episode; nothing more fires.
      await evaluateRules(engine(), NOW);
      expect((await alertsOf(rule.id)).length).toBe(2);

      // c bursts later while a and b still hold: only c fires.
      await write([1, 2, 3].map((k) => at(NOW + 2 * MINUTE + k * 1000, c)));
      await evaluateRules(engine(), NOW + 3 * MINUTE);
      alerts = await alertsOf(rule.id);
      expect(alerts.length).toBe(3);
      expect(openBy(alerts)).toEqual({ [a]: 3, [b]: 4, [c]: 4 });

      // a and b age out of the window (they sent nothing since): their alerts resolve, c's stays open.
      await evaluateRules(engine(), NOW + 6 * MINUTE);
      alerts = await alertsOf(rule.id);
      expect(alerts.length).toBe(3);
      expect(openBy(alerts)).toEqual({ [c]: 4 });
      expect(alerts.filter((x) => x.status === "resolved").map((x) => x.group.service)).toEqual(
        expect.arrayContaining([a, b]),
      );
      expect(alerts.filter((x) => x.status === "resolved").every((x) => x.auto_resolved)).toBe(true);
    });

    test("p95 of a numeric field per service (numbers and numeric strings) is compared with the threshold", async () => {
      const [slow, fast] = [freshService("slow"), freshService("fast")];
      const slowLatencies = [100, 200, 300, 400, 450, 500, 800, 900, 1000, 1200];
      await write([
        ...slowLatencies.map((ms, k) =>
          at(NOW - 2 * MINUTE - k * 1000, slow, {
            level: "INFO",
            attributes: { latency_ms: k % 2 ? String(ms) : ms },
          }),
        ),
        ...[20, 30, 40, 50].map((ms, k) =>
          at(NOW - 2 * MINUTE - k * 1000, fast, { level: "INFO", attributes: { latency_ms: ms } }),
        ),
        at(NOW - 2 * MINUTE, fast, { level: "INFO", attributes: { other: 5 } }), // no latency: skipped
      ]);
      const rule = await createRule({
        name: "latency",
        group_by: ["service"],
        services: [slow, fast],
        aggregation: "p95",
        field: "latency_ms",
        threshold: 500,
      });
      const out = await evaluateRules(engine(), NOW);
      const values = Object.fromEntries((out.groups.get(rule.id) ?? []).map((g) => [g.group?.service, g]));
      expect(values[fast]?.count).toBe(5);
      const want = percentileCont(slowLatencies, 0.95)!;
      if (exactPercentiles) {
        expect(values[slow]?.value).toBeCloseTo(want, 9);
        expect(values[fast]?.value).toBeCloseTo(percentileCont([20, 30, 40, 50], 0.95)!, 9);
      } else {
        // The engine's t-digest: approximate, on the same side of the threshold here.
        expect(values[slow]?.value).toBeGreaterThan(500);
        expect(values[fast]?.value).toBeLessThan(500);
      }
      const alerts = await alertsOf(rule.id);
      expect(alerts.map((x) => x.group)).toEqual([{ service: slow }]);
      expect(alerts[0].aggregation).toBe("p95");
      expect(alerts[0].message).toStartWith(`latency [service=${slow}]: p95(latency_ms) = `);

      // Ungrouped: one value of the whole rule.
      const avg = await createRule({
        services: [slow],
        aggregation: "avg",
        field: "latency_ms",
        condition: "less_than",
        threshold: 600,
      });
      const again = await evaluateRules(engine(), NOW);
      expect(again.values.get(avg.id)).toBeCloseTo(585, 9);
      expect((await alertsOf(avg.id)).map((x) => [x.group, x.value])).toEqual([[null, 585]]);
    });

    test("a service that goes silent fires (seen in the lookback, nothing in the window); back, it resolves", async () => {
      const [quiet, busy, gone] = [freshService("quiet"), freshService("busy"), freshService("gone")];
      await write([
        at(NOW - 30 * MINUTE, quiet), // in the lookback, not the window
        at(NOW - MINUTE, busy), // in the window
        at(NOW - 3 * 60 * MINUTE, gone), // before the lookback
      ]);
      const rule = await createRule({
        name: "silence",
        group_by: ["service"],
        services: [quiet, busy, gone],
        condition: "less_than",
        threshold: 1,
        absence_lookback_minutes: 60,
      });
      expect(rule.absence_lookback_minutes).toBe(60);
      await evaluateRules(engine(), NOW);
      let alerts = await alertsOf(rule.id);
      expect(openBy(alerts)).toEqual({ [quiet]: 0 });
      expect(alerts[0].message).toBe(
        `silence [service=${quiet}]: no matching logs (last seen ${new Date(NOW - 30 * MINUTE).toISOString()}) in the last 5 min (< 1)`,
      );

      // A minute on (the groups seen are now kept by the rule): busy is still in its window.
      await evaluateRules(engine(), NOW + MINUTE);
      expect(openBy(await alertsOf(rule.id))).toEqual({ [quiet]: 0 });

      // busy goes quiet too: its last event leaves the window, and it was seen a tick ago.
      await evaluateRules(engine(), NOW + 5 * MINUTE);
      expect(openBy(await alertsOf(rule.id))).toEqual({ [quiet]: 0, [busy]: 0 });

      // quiet speaks again: its alert resolves; busy's stays.
      await write([at(NOW + 5 * MINUTE + 30_000, quiet)]);
      await evaluateRules(engine(), NOW + 6 * MINUTE);
      alerts = await alertsOf(rule.id);
      expect(openBy(alerts)).toEqual({ [busy]: 0 });
      expect(alerts.find((x) => x.group.service === quiet)?.status).toBe("resolved");

      // A tick after a long pause reads the seen groups from the logs again: the same answer.
      await evaluateRules(engine(), NOW + 20 * MINUTE);
      alerts = await alertsOf(rule.id);
      expect(openBy(alerts)).toEqual({ [busy]: 0, [quiet]: 0 });
      expect(alerts.some((x) => x.group.service === gone)).toBe(false);
    });

    test("a rule edited to stop grouping resolves its groups' alerts and fires as one", async () => {
      const service = freshService("edit");
      await write([1, 2].map((k) => at(NOW - MINUTE - k * 1000, service)));
      const rule = await createRule({ group_by: ["service"], services: [service] });
      await evaluateRules(engine(), NOW);
      expect(openBy(await alertsOf(rule.id))).toEqual({ [service]: 2 });
      expect((await request("PUT", `/api/v1/alerts/rules/${rule.id}`, { group_by: [] })).status).toBe(200);
      await evaluateRules(engine(), NOW);
      const alerts = await alertsOf(rule.id);
      expect(alerts.map((x) => [x.group, x.status])).toEqual([
        [{ service }, "resolved"],
        [null, "triggered"],
      ]);
    });

    test("grouping by level and by an attribute (on stores that group attributes)", async () => {
      const service = freshService("lv");
      await write([
        at(NOW - MINUTE, service, { level: "ERROR", attributes: { route: "/pay" } }),
        at(NOW - MINUTE - 1000, service, { level: "ERROR", attributes: { route: "/pay" } }),
        at(NOW - MINUTE - 2000, service, { level: "WARNING", attributes: { route: "/cart" } }),
      ]);
      const byLevel = await createRule({ group_by: ["level"], services: [service], threshold: 1 });
      const out = await evaluateRules(engine(), NOW);
      expect((out.groups.get(byLevel.id) ?? []).map((g) => [g.group?.level, g.value]).sort()).toEqual([
        ["ERROR", 2],
        ["WARNING", 1],
      ]);
      expect((await alertsOf(byLevel.id)).map((x) => x.group)).toEqual([{ level: "ERROR" }]);
      const byRoute = await createRule({ group_by: ["attributes.route"], services: [service], threshold: 1 });
      expect(byRoute.group_by).toEqual(["route"]);
      await evaluateRules(engine(), NOW);
      const alerts = await alertsOf(byRoute.id);
      expect(alerts.map((x) => x.group)).toEqual([{ route: "/pay" }]);
      // The sample is the group's own events (its filter names the attribute).
      expect(alerts[0].sample_log_ids.length).toBe(2);
    });

    test("grouped by an attribute: a function of a field per value, and a value gone silent fires", async () => {
      const service = freshService("route");
      await write([
        at(NOW - MINUTE, service, { attributes: { route: "/pay", latency_ms: 900 } }),
        at(NOW - MINUTE - 1000, service, { attributes: { route: "/pay", latency_ms: "300" } }),
        at(NOW - MINUTE - 2000, service, { attributes: { route: "/cart", latency_ms: 100 } }),
        at(NOW - MINUTE - 3000, service, { attributes: { latency_ms: 700 } }), // no route: its own group
        at(NOW - 30 * MINUTE, service, { attributes: { route: "/home" } }), // in the lookback only
      ]);
      const slow = await createRule({
        name: "slow route",
        group_by: ["route"],
        services: [service],
        aggregation: "max",
        field: "latency_ms",
        threshold: 500,
      });
      const silent = await createRule({
        name: "silent route",
        group_by: ["route"],
        services: [service],
        condition: "less_than",
        threshold: 1,
        absence_lookback_minutes: 60,
      });
      const out = await evaluateRules(engine(), NOW);
      const byRoute = (out.groups.get(slow.id) ?? []).map((g) => [g.group?.route ?? "(none)", g.value]);
      expect(Object.fromEntries(byRoute)).toEqual({ "/pay": 900, "/cart": 100, "(none)": 700 });
      const fired = (await alertsOf(slow.id)).map((x) => [x.group, x.value]);
      expect(fired.sort((a, b) => a[1] - b[1])).toEqual([
        [{ route: null }, 700],
        [{ route: "/pay" }, 900],
      ]);
      expect((await alertsOf(silent.id)).map((x) => [x.group, x.value])).toEqual([[{ route: "/home" }, 0]]);
    });
  });
}

groupedSuite(`grouped alert rules on ${testDatabase()}`, () => t.runtime.deps.store, true);

if (opensearch) {
  const engine = openSearchEngine({ url: OPENSEARCH_TEST_URL });
  const prefix = `logflow-test-alerts-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const store = new SearchLogStore(engine, { indexPrefix: prefix });
  afterAll(async () => {
    await engine.transport({ method: "DELETE", path: `/${prefix}-*` });
    await engine.transport({ method: "DELETE", path: `/_index_template/${prefix}` });
    await engine.close();
  });
  groupedSuite("grouped alert rules on OpenSearch", () => store, false);
}

describe("validation", () => {
  const refused = async (body: Record<string, unknown>) => {
    const res = await request("POST", "/api/v1/alerts/rules", {
      name: "v",
      condition: "greater_than",
      threshold: 1,
      ...body,
    });
    expect(res.status).toBe(422);
    expect(res.json.type).toBeDefined();
    return res.json.errors as { field: string; message: string }[];
  };

  test("an aggregation other than count without field is a 422 naming field", async () => {
    const errors = await refused({ aggregation: "p95", group_by: ["service"] });
    expect(errors).toEqual([
      {
        field: "field",
        message: "is required with aggregation p95: the numeric attribute it reads (such as latency_ms)",
      },
    ]);
  });

  test("field without a numeric aggregation, a column as field, unknown aggregations and bad group_by are 422s naming them", async () => {
    expect((await refused({ field: "latency_ms" }))[0]?.field).toBe("field");
    expect((await refused({ aggregation: "avg", field: "service" }))[0]?.field).toBe("field");
    expect((await refused({ aggregation: "median", field: "latency_ms" }))[0]?.field).toBe("aggregation");
    expect((await refused({ group_by: ["no spaces allowed"] }))[0]?.field).toBe("group_by.0");
    expect((await refused({ group_by: ["a", "b", "c", "d"] }))[0]?.field).toBe("group_by");
    expect((await refused({ absence_lookback_minutes: 0 }))[0]?.field).toBe("absence_lookback_minutes");
    expect((await refused({ group_by: ["service"], new_pattern: true }))[0]?.field).toBe("group_by");
  });

  test("a grouped rule over a query that cannot be parsed is a 422 naming query", async () => {
    const errors = await refused({ group_by: ["service"], query: "status:(502 OR" });
    expect(errors[0]?.field).toBe("query");
  });

  test("an update is checked with the stored rule: p95 on a count rule needs a field", async () => {
    const rule = await createRule({ name: "upd" });
    const res = await request("PUT", `/api/v1/alerts/rules/${rule.id}`, { aggregation: "p95" });
    expect(res.status).toBe(422);
    expect(res.json.errors[0].field).toBe("field");
    const ok = await request("PUT", `/api/v1/alerts/rules/${rule.id}`, {
      aggregation: "p95",
      field: "latency_ms",
      group_by: ["service", "host"],
    });
    expect(ok.status).toBe(200);
    expect([ok.json.aggregation, ok.json.field, ok.json.group_by]).toEqual([
      "p95",
      "latency_ms",
      ["service", "host"],
    ]);
  });

  test("the README's examples are accepted as written", async () => {
    for (const body of [
      {
        name: "Slow services",
        condition: "greater_than",
        threshold: 500,
        time_window: 5,
        group_by: ["service"],
        aggregation: "p95",
        field: "latency_ms",
      },
      {
        name: "Silent service",
        condition: "less_than",
        threshold: 1,
        time_window: 10,
        group_by: ["service"],
        absence_lookback_minutes: 1440,
      },
    ]) {
      const res = await request("POST", "/api/v1/alerts/rules", body);
      expect(res.status).toBe(201);
      created.push(res.json.id);
    }
  });

  test("the new fields are in /openapi.json", async () => {
    const res = await t.request("/openapi.json");
    const doc = (await res.json()) as Json;
    const rule = doc.components.schemas.AlertRule.properties;
    expect(Object.keys(rule)).toEqual(
      expect.arrayContaining(["group_by", "aggregation", "field", "absence_lookback_minutes"]),
    );
    expect(Object.keys(doc.components.schemas.TriggeredAlert.properties)).toEqual(
      expect.arrayContaining(["group", "aggregation"]),
    );
  });
});
