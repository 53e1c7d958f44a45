import { beforeAll, describe, expect, test } from "bun:test";
import { evaluateRules } from "../../core/alerts/engine.ts";
import { type Notifier, recordOnlyNotifier } from "../../core/alerts/notify.ts";
import { callJson, freshService, ingest, type Json, suiteApp } from "../helpers/app.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

const t = suiteApp();
let userToken: string;

const call = (method: string, path: string, body?: unknown, token: string | null = t.adminToken) =>
  callJson(t, method, path, body, token);

const rule = (extra: Record<string, unknown> = {}) => ({
  name: "High error rate",
  condition: "greater_than",
  threshold: 2,
  time_window: 5,
  levels: ["ERROR"],
  services: [freshService("rule")],
  ...extra,
});

beforeAll(async () => {
  const name = `user${crypto.randomUUID().slice(0, 8)}`;
  const reg = await call(
    "POST",
    "/api/v1/auth/register",
    { username: name, email: `${name}@example.com`, password: "password-123" },
    null,
  );
  expect(reg.status).toBe(201);
  const login = await call("POST", "/api/v1/auth/login", { username: name, password: "password-123" }, null);
  userToken = login.body.access_token;
}, 60_000);

describe("alert rules", () => {
  test("create needs auth, returns the rule with defaults and its signing secret once; reading is open", async () => {
    expect((await call("POST", "/api/v1/alerts/rules", rule(), null)).status).toBe(401);
    const created = await call("POST", "/api/v1/alerts/rules", rule({ query: "timeout" }));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: "High error rate",
      condition: "greater_than",
      threshold: 2,
      time_window: 5,
      levels: ["ERROR"],
      query: "timeout",
      notification_channel: "console",
      is_active: true,
      cooldown_minutes: 0,
      severity: "warning",
      auto_resolve: true,
      trigger_count: 0,
      last_triggered_at: null,
    });
    expect(created.body.signing_secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    const read = await call("GET", `/api/v1/alerts/rules/${created.body.id}`, undefined, null);
    expect(read.status).toBe(200);
    expect(read.body.signing_secret).toBeUndefined();
    const list = await call("GET", "/api/v1/alerts/rules?limit=500", undefined, null);
    expect(list.body.rules.some((r: Json) => r.id === created.body.id)).toBe(true);
    expect((await call("GET", "/api/v1/alerts/rules/999999")).status).toBe(404);
    expect((await call("GET", "/api/v1/alerts/rules/abc")).status).toBe(404);
  });

  test("validation errors name the field (422)", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ condition: "bigger" }, "condition"],
      [{ time_window: 0 }, "time_window"],
      [{ time_window: 1441 }, "time_window"],
      [{ threshold: "ten" }, "threshold"],
      [{ levels: ["LOUD"] }, "levels.0"],
      [{ notification_channel: "pager" }, "notification_channel"],
      [{ severity: "apocalyptic" }, "severity"],
      [{ owner: 3 }, "body"],
      // More words than a search may have would fail every evaluation of the rule.
      [{ query: Array(257).fill("x").join(" ") }, "query"],
    ];
    for (const [extra, field] of cases) {
      const res = await call("POST", "/api/v1/alerts/rules", rule(extra));
      expect(res.status).toBe(422);
      expect(res.body.errors.map((e: Json) => e.field)).toContain(field);
    }
    const missing = await call("POST", "/api/v1/alerts/rules", { condition: "equals", threshold: 1 });
    expect(missing.body.errors).toContainEqual({ field: "name", message: "is required" });
  });

  test("email is refused as unavailable; webhook and slack need a safe http(s) URL", async () => {
    const email = await call(
      "POST",
      "/api/v1/alerts/rules",
      rule({ notification_channel: "email", notification_config: { to: "a@b.c" } }),
    );
    expect(email.status).toBe(422);
    expect(email.body.errors).toEqual([
      { field: "notification_channel", message: "email notifications are not available on this deployment" },
    ]);
    for (const url of [
      undefined,
      "ftp://example.com/x",
      "http://127.0.0.1:9/x",
      "http://[::1]/x",
      "http://169.254.169.254/latest/meta-data",
      "http://10.0.0.1/",
      "http://0.0.0.0/",
      "http://localhost:8000/",
      "http://[::ffff:127.0.0.1]/",
    ]) {
      const res = await call(
        "POST",
        "/api/v1/alerts/rules",
        rule({ notification_channel: "webhook", notification_config: url ? { url } : {} }),
      );
      expect(res.status).toBe(422);
      expect(res.body.errors[0].field).toBe("notification_config.url");
    }
    const ok = await call(
      "POST",
      "/api/v1/alerts/rules",
      rule({
        notification_channel: "slack",
        notification_config: { url: "https://hooks.slack.com/services/T/B/X" },
      }),
    );
    expect(ok.status).toBe(201);
  });

  test("a rule's Slack or webhook URL is shown to its owner and admins only; others see channel and host", async () => {
    const secretUrl = "https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX";
    const created = await call(
      "POST",
      "/api/v1/alerts/rules",
      rule({ notification_channel: "slack", notification_config: { url: secretUrl } }),
      userToken,
    );
    expect(created.status).toBe(201);
    const id = created.body.id;
    for (const token of [userToken, t.adminToken]) {
      const own = await call("GET", `/api/v1/alerts/rules/${id}`, undefined, token);
      expect(own.body.notification_config).toEqual({ url: secretUrl });
    }
    const others = [
      (await call("GET", `/api/v1/alerts/rules/${id}`, undefined, null)).body,
      (await call("GET", "/api/v1/alerts/rules?limit=500", undefined, null)).body.rules.find(
        (r: Json) => r.id === id,
      ),
    ];
    const strangerName = `other${crypto.randomUUID().slice(0, 8)}`;
    await call(
      "POST",
      "/api/v1/auth/register",
      { username: strangerName, email: `${strangerName}@example.com`, password: "password-123" },
      null,
    );
    const stranger = await call(
      "POST",
      "/api/v1/auth/login",
      { username: strangerName, password: "password-123" },
      null,
    );
    others.push(
      (await call("GET", `/api/v1/alerts/rules/${id}`, undefined, stranger.body.access_token)).body,
    );
    for (const seen of others) {
      expect(seen.notification_channel).toBe("slack");
      expect(seen.notification_config).toEqual({ redacted: true, host: "hooks.slack.com" });
      expect(JSON.stringify(seen)).not.toContain("XXXXsecretXXXX");
    }
  });

  test("update and delete: owner or admin, others 403; only documented fields", async () => {
    const mine = await call("POST", "/api/v1/alerts/rules", rule(), userToken);
    expect(mine.status).toBe(201);
    const adminRule = await call("POST", "/api/v1/alerts/rules", rule());
    expect(
      (await call("PUT", `/api/v1/alerts/rules/${adminRule.body.id}`, { threshold: 9 }, userToken)).status,
    ).toBe(403);
    expect(
      (await call("DELETE", `/api/v1/alerts/rules/${adminRule.body.id}`, undefined, userToken)).status,
    ).toBe(403);
    expect(
      (await call("PUT", `/api/v1/alerts/rules/${adminRule.body.id}`, { threshold: 9 }, null)).status,
    ).toBe(401);

    const updated = await call(
      "PUT",
      `/api/v1/alerts/rules/${mine.body.id}`,
      { threshold: 9, severity: "critical" },
      userToken,
    );
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ threshold: 9, severity: "critical", name: "High error rate" });
    const sneaky = await call(
      "PUT",
      `/api/v1/alerts/rules/${mine.body.id}`,
      { trigger_count: 100, created_by: 1 },
      userToken,
    );
    expect(sneaky.status).toBe(422);
    const email = await call(
      "PUT",
      `/api/v1/alerts/rules/${mine.body.id}`,
      { notification_channel: "email" },
      userToken,
    );
    expect(email.status).toBe(422);
    // The admin may change anyone's rule.
    expect(
      (await call("PUT", `/api/v1/alerts/rules/${mine.body.id}`, { is_active: false })).body.is_active,
    ).toBe(false);
    expect((await call("DELETE", `/api/v1/alerts/rules/${mine.body.id}`, undefined, userToken)).status).toBe(
      204,
    );
    expect((await call("GET", `/api/v1/alerts/rules/${mine.body.id}`)).status).toBe(404);
  });
});

describe("triggered alerts", () => {
  test("list with filters; acknowledge then resolve, recording who and when; invalid transitions 409", async () => {
    const service = freshService("ack");
    const r = await call("POST", "/api/v1/alerts/rules", rule({ services: [service], threshold: 0 }));
    const now = Date.now();
    await ingest(t, [{ service, level: "ERROR", message: "boom", timestamp: now - 1000 }]);
    const sent: string[] = [];
    const notify: Notifier = async (n) => {
      sent.push(n.kind);
      return recordOnlyNotifier(n);
    };
    const deps = t.runtime.deps;
    await evaluateRules(
      { store: deps.store, rules: deps.alertRules, alerts: deps.triggeredAlerts, notify },
      now,
    );
    expect(sent).toEqual(["triggered"]);

    const list = await call(
      "GET",
      `/api/v1/alerts/triggered?rule_id=${r.body.id}&status=triggered`,
      undefined,
      null,
    );
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(1);
    const alert = list.body.alerts[0];
    expect(alert).toMatchObject({
      rule_id: r.body.id,
      rule_name: "High error rate",
      value: 1,
      threshold: 0,
      status: "triggered",
      time_window: 5,
    });
    expect(alert.sample_log_ids).toHaveLength(1);
    expect(alert.deliveries).toHaveLength(1);

    const base = `/api/v1/alerts/triggered/${alert.id}`;
    expect((await call("POST", `${base}/acknowledge`, undefined, null)).status).toBe(401);
    const acked = await call("POST", `${base}/acknowledge`, undefined, userToken);
    expect(acked.status).toBe(200);
    expect(acked.body.status).toBe("acknowledged");
    expect(acked.body.acknowledged_by).toBeGreaterThan(1);
    expect(Date.parse(acked.body.acknowledged_at)).toBeGreaterThan(now - 60_000);
    expect((await call("POST", `${base}/acknowledge`)).status).toBe(409);
    const resolved = await call("POST", `${base}/resolve`);
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ status: "resolved", resolved_by: 1, auto_resolved: false });
    const again = await call("POST", `${base}/resolve`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("CONFLICT");
    expect((await call("POST", `${base}/acknowledge`)).status).toBe(409);
    expect((await call("POST", "/api/v1/alerts/triggered/999999/resolve")).status).toBe(404);

    const byStatus = await call(
      "GET",
      `/api/v1/alerts/triggered?rule_id=${r.body.id}&status=resolved&limit=1&offset=0`,
    );
    expect(byStatus.body.total).toBe(1);
    const future = await call(
      "GET",
      `/api/v1/alerts/triggered?rule_id=${r.body.id}&start_time=${new Date(now + 60_000).toISOString()}`,
    );
    expect(future.body.total).toBe(0);
    expect((await call("GET", "/api/v1/alerts/triggered?status=open")).status).toBe(400);
  });
});

describe("documentation", () => {
  test("/openapi.json documents the alert and metrics routes", async () => {
    const doc = (await (await t.request("/openapi.json")).json()) as Json;
    for (const path of [
      "/api/v1/alerts/rules",
      "/api/v1/alerts/rules/{id}",
      "/api/v1/alerts/triggered",
      "/api/v1/alerts/triggered/{id}/acknowledge",
      "/api/v1/alerts/triggered/{id}/resolve",
      "/api/v1/metrics/overview",
      "/api/v1/metrics/service/{name}",
      "/api/v1/metrics/system",
      "/api/v1/metrics/timeseries",
    ]) {
      expect(doc.paths[path]).toBeDefined();
    }
    expect(Object.keys(doc.paths["/api/v1/alerts/rules/{id}"]).sort()).toEqual(["delete", "get", "put"]);
  });
});
