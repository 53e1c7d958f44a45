import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { conditionHolds, type EngineDeps, evaluateRules } from "../core/alerts/engine.ts";
import { createNotifier, signature } from "../core/alerts/notify.ts";
import type { Level } from "../core/level.ts";
import type { LogEvent } from "../core/log-event.ts";
import { freshService, type Json, suiteApp } from "./helpers/app.ts";
import { logEvent } from "./helpers/events.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";

integrationTimeouts();

const MINUTE = 60_000;
const NOW = Math.floor(Date.now() / 1000) * 1000 - 10 * MINUTE;
const t = suiteApp({ ALLOW_PRIVATE_WEBHOOKS: "true" });
let engine: EngineDeps;
let server: ReturnType<typeof Bun.serve>;
const received: { path: string; body: string; headers: Headers }[] = [];
let failWith = 0;

function event(ts: number, service: string, level: Level = "ERROR", message = "payment failed"): LogEvent {
  return logEvent(ts, { service, level, message });
}

async function createRule(body: Record<string, unknown>): Promise<Json> {
  const res = await t.request("/api/v1/alerts/rules", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${t.adminToken}` },
    body: JSON.stringify({ name: "rule", condition: "greater_than", threshold: 0, time_window: 5, ...body }),
  });
  expect(res.status).toBe(201);
  return res.json();
}

async function alertsOf(ruleId: number): Promise<Json[]> {
  return (await t.runtime.deps.triggeredAlerts.list({ rule_id: ruleId, limit: 100, offset: 0 })).alerts;
}

beforeAll(async () => {
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      received.push({ path: new URL(req.url).pathname, body: await req.text(), headers: req.headers });
      return new Response(failWith ? "nope" : "ok", { status: failWith || 200 });
    },
  });
  const deps = t.runtime.deps;
  engine = {
    store: deps.store,
    rules: deps.alertRules,
    alerts: deps.triggeredAlerts,
    notify: createNotifier({ guard: { allowPrivate: true }, backoffMs: 5, timeoutMs: 2000 }),
  };
}, 60_000);
afterAll(async () => {
  server.stop(true);
});

describe("conditions", () => {
  test("each condition at its boundary", () => {
    expect([conditionHolds("greater_than", 3, 3), conditionHolds("greater_than", 4, 3)]).toEqual([
      false,
      true,
    ]);
    expect([conditionHolds("less_than", 3, 3), conditionHolds("less_than", 2, 3)]).toEqual([false, true]);
    expect([conditionHolds("equals", 3, 3), conditionHolds("equals", 4, 3)]).toEqual([true, false]);
    expect([
      conditionHolds("greater_than_or_equal", 3, 3),
      conditionHolds("greater_than_or_equal", 2, 3),
    ]).toEqual([true, false]);
    expect([conditionHolds("less_than_or_equal", 3, 3), conditionHolds("less_than_or_equal", 4, 3)]).toEqual([
      true,
      false,
    ]);
  });

  test("a rule's value is the exact count in [now − window, now]: both ends in, anything outside out", async () => {
    const service = freshService("window");
    await t.runtime.deps.store.write([
      event(NOW, service), // the end: in
      event(NOW - 5 * MINUTE, service), // the start: in
      event(NOW - 2 * MINUTE, service), // inside
      event(NOW - 5 * MINUTE - 1, service), // 1 ms too old
      event(NOW + 1, service), // 1 ms in the future
      event(NOW - MINUTE, service, "INFO"), // another level
      event(NOW - MINUTE, freshService("other")), // another service
    ]);
    const conditions = ["greater_than", "less_than", "equals", "greater_than_or_equal", "less_than_or_equal"];
    const rules = await Promise.all(
      conditions.map((condition) =>
        createRule({ condition, threshold: 3, services: [service], levels: ["ERROR"] }),
      ),
    );
    const out = await evaluateRules(engine, NOW);
    expect(rules.map((r) => out.values.get(r.id))).toEqual([3, 3, 3, 3, 3]);
    const fired = await Promise.all(rules.map(async (r) => (await alertsOf(r.id)).length));
    expect(fired).toEqual([0, 0, 1, 1, 1]); // > and < do not hold at 3; =, ≥, ≤ do
    const withQuery = await createRule({
      services: [service],
      query: "payment",
      threshold: 4,
      condition: "equals",
    });
    const other = await createRule({
      services: [service],
      query: "refund",
      threshold: 0,
      condition: "equals",
    });
    const again = await evaluateRules(engine, NOW);
    expect(again.values.get(withQuery.id)).toBe(4); // the INFO line matches "payment" as well
    expect(again.values.get(other.id)).toBe(0);
    const stored = await t.runtime.deps.alertRules.get(rules[2].id);
    expect(stored?.last_value).toBe(3);
    expect(stored?.last_evaluated_at).toBe(new Date(NOW).toISOString());
  });
});

describe("rules over the query language", () => {
  test("a rule counts the events its query selects: fields, attributes, ranges", async () => {
    const service = freshService("q");
    const at = (k: number, level: Level, attributes: LogEvent["attributes"]) =>
      logEvent(NOW - k * 1000, { service, level, message: "GET /pay answered", attributes });
    await t.runtime.deps.store.write([
      at(1, "ERROR", { status_code: 502, latency_ms: 900 }),
      at(2, "ERROR", { status_code: 502, latency_ms: 120 }),
      at(3, "INFO", { status_code: 200, latency_ms: 950 }),
      at(4, "WARNING", { status_code: "502", latency_ms: "1200" }),
    ]);
    const bad = await createRule({ query: `service:${service} status_code:502` });
    const slow = await createRule({ query: `service:${service} latency_ms:>=900 -level:info` });
    const out = await evaluateRules(engine, NOW);
    expect(out.values.get(bad.id)).toBe(3);
    expect(out.values.get(slow.id)).toBe(2);
    expect((await alertsOf(bad.id)).length).toBe(1);
  });

  test("a query that cannot be parsed is refused with a 422 naming the field and the position", async () => {
    const res = await t.request("/api/v1/alerts/rules", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${t.adminToken}` },
      body: JSON.stringify({ name: "r", condition: "greater_than", threshold: 0, query: "latency_ms:>abc" }),
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as Json).errors).toEqual([
      { field: "query", message: 'at 12: expected a number after >, found "abc"' },
    ]);
  });

  test("a stored rule whose query no longer parses is skipped, not the whole tick", async () => {
    const service = freshService("stale");
    await t.runtime.deps.store.write([event(NOW - 1000, service)]);
    const good = await createRule({ services: [service] });
    const stale = await createRule({ services: [service] });
    // As if stored before the query language: written past the API's validation.
    await t.runtime.deps.alertRules.update(stale.id, { query: "latency_ms:>abc" });
    const logged: Record<string, unknown>[] = [];
    const out = await evaluateRules({ ...engine, log: (line) => logged.push(line) }, NOW);
    expect(out.values.get(good.id)).toBe(1);
    expect(out.values.has(stale.id)).toBe(false);
    expect(logged).toContainEqual(expect.objectContaining({ rule_id: stale.id, level: "warn" }));
  });
});

describe("an error burst", () => {
  test("fires one alert and one signed webhook, sends nothing while it holds, auto-resolves once it ages out", async () => {
    const service = freshService("burst");
    const rule = await createRule({
      name: "payment errors",
      services: [service],
      levels: ["ERROR", "CRITICAL"],
      condition: "greater_than",
      threshold: 4,
      time_window: 2,
      notification_channel: "webhook",
      notification_config: { url: `http://127.0.0.1:${server.port}/hook/${hookPath(service)}` },
      notify_on_resolve: true,
      severity: "critical",
    });
    const mine = () => received.filter((r) => r.path.endsWith(hookPath(service)));
    await t.runtime.deps.store.write(Array.from({ length: 10 }, (_, i) => event(NOW - 30_000 + i, service)));

    await evaluateRules(engine, NOW);
    expect(mine()).toHaveLength(1);
    const hook = mine()[0]!;
    expect(hook.headers.get("x-logflow-signature")).toBe(await signature(rule.signing_secret, hook.body));
    const payload = JSON.parse(hook.body);
    expect(payload.event).toBe("alert.triggered");
    expect(payload.alert).toMatchObject({
      rule_id: rule.id,
      rule_name: "payment errors",
      severity: "critical",
      value: 10,
      threshold: 4,
      time_window: 2,
    });
    expect(payload.alert.sample_log_ids).toHaveLength(5);

    // Still holding (the burst is inside the 2-minute window until NOW + 90 s): nothing new.
    await evaluateRules(engine, NOW + MINUTE);
    await evaluateRules(engine, NOW + 90_000);
    expect(mine()).toHaveLength(1);
    let alerts = await alertsOf(rule.id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0].status).toBe("triggered");
    expect(alerts[0].deliveries).toEqual([
      expect.objectContaining({ kind: "triggered", channel: "webhook", ok: true, status: 200, attempts: 1 }),
    ]);

    // Aged out: resolved by the engine, with a resolved notice.
    await evaluateRules(engine, NOW + 2 * MINUTE);
    await evaluateRules(engine, NOW + 3 * MINUTE);
    expect(mine()).toHaveLength(2);
    expect(JSON.parse(mine()[1]!.body).event).toBe("alert.resolved");
    alerts = await alertsOf(rule.id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      status: "resolved",
      auto_resolved: true,
      resolved_by: null,
      resolved_at: new Date(NOW + 2 * MINUTE).toISOString(),
    });
    expect(alerts[0].deliveries.map((d: Json) => d.kind)).toEqual(["triggered", "resolved"]);
    const stats = await t.runtime.deps.alertRules.get(rule.id);
    expect(stats).toMatchObject({ trigger_count: 1, last_triggered_at: new Date(NOW).toISOString() });
  });

  test("an acknowledged alert stays open without re-sending; cooldown holds back the next one", async () => {
    const service = freshService("cool");
    const rule = await createRule({ services: [service], time_window: 60, cooldown_minutes: 10 });
    await t.runtime.deps.store.write([event(NOW - MINUTE, service)]);
    await evaluateRules(engine, NOW);
    const [alert] = await alertsOf(rule.id);
    await t.runtime.deps.triggeredAlerts.acknowledge(alert.id, 1, NOW + 1000);
    await evaluateRules(engine, NOW + MINUTE);
    expect(await alertsOf(rule.id)).toHaveLength(1);
    await t.runtime.deps.triggeredAlerts.resolve(alert.id, 1, NOW + 2 * MINUTE);
    await evaluateRules(engine, NOW + 5 * MINUTE); // holds, but within 10 minutes of the last firing
    expect(await alertsOf(rule.id)).toHaveLength(1);
    await evaluateRules(engine, NOW + 10 * MINUTE); // cooldown over
    expect(await alertsOf(rule.id)).toHaveLength(2);
  });

  test("a failing webhook is retried with backoff and the failure stored on the alert", async () => {
    const service = freshService("fail");
    const rule = await createRule({
      services: [service],
      notification_channel: "webhook",
      notification_config: { url: `http://127.0.0.1:${server.port}/hook/${hookPath(service)}` },
    });
    await t.runtime.deps.store.write([event(NOW - 1000, service)]);
    failWith = 503;
    try {
      await evaluateRules(engine, NOW);
    } finally {
      failWith = 0;
    }
    expect(received.filter((r) => r.path.endsWith(hookPath(service)))).toHaveLength(3);
    const [alert] = await alertsOf(rule.id);
    expect(alert.deliveries).toEqual([
      expect.objectContaining({ ok: false, status: 503, attempts: 3, error: "HTTP 503" }),
    ]);
  });

  test("counts checks and firings for alerts_checked_total and alerts_triggered_total{rule_name}", async () => {
    const service = freshService("metric");
    await createRule({ name: "counted", services: [service] });
    await t.runtime.deps.store.write([event(NOW - 1000, service)]);
    const fired: string[] = [];
    let checked = 0;
    const telemetry = {
      alertTriggered: (name: string) => void fired.push(name),
      alertsChecked: (n: number) => {
        checked += n;
      },
    };
    const out = await evaluateRules({ ...engine, telemetry }, NOW + 1);
    expect(checked).toBe(out.rules);
    expect(fired).toContain("counted");
  });

  test("two evaluators racing on the same tick record one alert", async () => {
    const service = freshService("race");
    const rule = await createRule({ services: [service] });
    await t.runtime.deps.store.write([event(NOW - 1000, service)]);
    await Promise.all([evaluateRules(engine, NOW), evaluateRules(engine, NOW)]);
    expect(await alertsOf(rule.id)).toHaveLength(1);
    expect((await t.runtime.deps.alertRules.get(rule.id))?.trigger_count).toBe(1);
  });
});

describe("a new-pattern rule", () => {
  /** Events as ingest stores them: each with its pattern id (new templates recorded on the way). */
  async function ship(events: LogEvent[]): Promise<void> {
    await t.runtime.built.patterns!.assign(events);
    await t.runtime.deps.store.write(events);
  }

  test("fires once for each template first seen in its window, naming it; levels narrow it", async () => {
    const service = freshService("new-pattern");
    const patterns = { ...engine, patterns: t.runtime.built.patternRepo! };
    const rule = await createRule({ new_pattern: true, services: [service] });
    const errorsOnly = await createRule({ new_pattern: true, services: [service], levels: ["ERROR"] });
    await ship([
      event(NOW - 2 * MINUTE, service, "INFO", "worker 1 started"),
      event(NOW - MINUTE, service, "INFO", "worker 2 started"),
    ]);
    const first = await evaluateRules(patterns, NOW);
    expect(first.values.get(rule.id)).toBe(1);
    expect(first.values.get(errorsOnly.id)).toBe(0);
    const [alert] = await alertsOf(rule.id);
    expect(alert.message).toContain("1 new log pattern");
    expect(alert.message).toContain("started");

    // The same pattern again: nothing new, and the alert resolves.
    await ship([event(NOW + 1000, service, "INFO", "worker 3 started")]);
    const second = await evaluateRules(patterns, NOW + 2000);
    expect(second.values.get(rule.id)).toBe(0);
    expect((await alertsOf(rule.id)).map((a: Json) => a.status)).toEqual(["resolved"]);

    // Another template: a second alert, for it alone; the ERROR rule fires too.
    await ship([event(NOW + 3000, service, "ERROR", "disk quota exceeded on volume data-7")]);
    const third = await evaluateRules(patterns, NOW + 4000);
    expect(third.values.get(rule.id)).toBe(1);
    expect(third.values.get(errorsOnly.id)).toBe(1);
    const alerts = await alertsOf(rule.id);
    expect(alerts).toHaveLength(2);
    expect(alerts.some((a: Json) => a.message.includes("disk quota"))).toBe(true);
    expect((await evaluateRules(patterns, NOW + 5000)).values.get(rule.id)).toBe(0);
  });

  test("a rule cannot count both anomalies and new patterns", async () => {
    const res = await t.request("/api/v1/alerts/rules", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${t.adminToken}` },
      body: JSON.stringify({
        name: "both",
        condition: "greater_than",
        threshold: 0,
        new_pattern: true,
        anomaly_severity: "high",
      }),
    });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain("new_pattern");
  });
});

function hookPath(service: string): string {
  return service.replace(/[^a-z0-9-]/gi, "");
}
