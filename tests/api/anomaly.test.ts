import { beforeAll, describe, expect, test } from "bun:test";
import { PostgresAlertTickRepo } from "../../core/adapters/postgres/alert-repo.ts";
import { type Notice, recordOnlyNotifier } from "../../core/alerts/notify.ts";
import { createTraffic } from "../../stream-jobs/generator/traffic.ts";
import { runAlertTick } from "../../stream-jobs/scheduler/tick.ts";
import { freshService, ingest, suiteApp } from "../helpers/app.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

const MINUTE = 60_000;
const t = suiteApp();
const suffix = freshService("anomaly");
// The traffic is laid on whole minutes (and the seed fixes its content), so the per-minute series the
// detector sees is the same on every run, whatever second the suite starts at.
const now = Math.floor(Date.now() / MINUTE) * MINUTE;
const burstStart = now - 20 * MINUTE;

type Anomaly = Record<string, unknown> & { service: string | null; metric_name: string; severity: string };
interface Report {
  period_start: string;
  period_end: string;
  total_anomalies: number;
  anomalies: Anomaly[];
  anomalies_by_severity: Record<string, number>;
  anomalies_by_service: Record<string, number>;
  reason?: string;
}

beforeAll(async () => {
  // Two hours of the generator's traffic, with payment-service failing most requests for ten minutes
  // that started twenty minutes ago. Service names get a fresh suffix so no other test's logs mix in.
  const traffic = createTraffic({
    seed: 7,
    rate: 3,
    start: now - 120 * MINUTE,
    errorBursts: [
      { service: "payment-service", startMs: burstStart, durationMs: 10 * MINUTE, errorShare: 0.9 },
    ],
  });
  const events = traffic.next(now).map((e) => ({ ...e, service: `${e.service}-${suffix}` }));
  for (let i = 0; i < events.length; i += 5000) {
    const res = await ingest(t, events.slice(i, i + 5000));
    expect(res.status).toBeLessThan(300);
  }
}, 120_000);

async function get<T>(path: string): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await t.request(path);
  return { status: res.status, body: (await res.json()) as T, headers: res.headers };
}

describe("GET /api/v1/anomaly", () => {
  test("window_minutes must be 10–1440: 9 and 1441 are 400 problems naming the parameter", async () => {
    for (const path of ["detect/log-volume", "detect/error-rate", "report"]) {
      for (const value of ["9", "1441", "abc"]) {
        const res = await get<{ status: number; detail: string }>(
          `/api/v1/anomaly/${path}?window_minutes=${value}`,
        );
        expect(res.status).toBe(400);
        expect(res.headers.get("content-type")).toContain("application/problem+json");
        expect(res.body.detail).toContain("window_minutes");
      }
    }
    expect((await get(`/api/v1/anomaly/detect/log-volume?window_minutes=10`)).status).toBe(200);
    expect((await get(`/api/v1/anomaly/detect/log-volume?window_minutes=1440`)).status).toBe(200);
  });

  test("the generator's error burst appears in the report, for the failing service", async () => {
    const { status, body } = await get<Report>("/api/v1/anomaly/report?window_minutes=60");
    if (process.env.DEBUG_ANOMALY) console.log(JSON.stringify(body, null, 1));
    expect(status).toBe(200);
    const payment = `payment-service-${suffix}`;
    const burst = body.anomalies.filter((a) => a.service === payment && a.metric_name === "error_rate");
    expect(burst.length).toBeGreaterThanOrEqual(1);
    const first = burst[burst.length - 1]!;
    expect(["spike", "pattern_change"]).toContain(first.anomaly_type as string);
    const at = Date.parse(first.detected_at as string);
    expect(at).toBeGreaterThanOrEqual(burstStart);
    expect(at).toBeLessThan(burstStart + 10 * MINUTE);
    expect(first.actual_value as number).toBeGreaterThan(first.expected_value as number);
    expect(burst.some((a) => a.severity === "critical" || a.severity === "high")).toBe(true);
    expect(body.total_anomalies).toBe(body.anomalies.length);
    expect(body.anomalies_by_service[payment]).toBeGreaterThanOrEqual(1);
    const severities = Object.values(body.anomalies_by_severity).reduce((a, b) => a + b, 0);
    expect(severities).toBe(body.total_anomalies);
    expect(Date.parse(body.period_end) - Date.parse(body.period_start)).toBe(60 * MINUTE);
  });

  test("detect/error-rate for one service lists the burst with the seed's fields", async () => {
    const payment = `payment-service-${suffix}`;
    const { status, body } = await get<Anomaly[]>(
      `/api/v1/anomaly/detect/error-rate?window_minutes=60&service=${payment}`,
    );
    expect(status).toBe(200);
    expect(Array.isArray(body)).toBe(true);
    expect(body.length).toBeGreaterThanOrEqual(1);
    for (const a of body) {
      expect(a.service).toBe(payment);
      expect(Object.keys(a).sort()).toEqual(
        [
          "actual_value",
          "anomaly_type",
          "description",
          "detected_at",
          "deviation_percent",
          "expected_value",
          "metric_name",
          "score",
          "service",
          "severity",
        ].sort(),
      );
    }
  });

  test("a service that is not logging steadily says why the list is empty", async () => {
    const quiet = freshService("quiet");
    await ingest(t, [{ service: quiet, level: "INFO", message: "hello", timestamp: now - 2 * MINUTE }]);
    const res = await get<Anomaly[]>(`/api/v1/anomaly/detect/log-volume?service=${quiet}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
    expect(res.headers.get("x-anomaly-note")).toContain("fewer than 5");
    const report = await get<Report>(`/api/v1/anomaly/report?service=${quiet}`);
    expect(report.body.total_anomalies).toBe(0);
    expect(report.body.reason).toContain("fewer than 5");
  });
});

describe("scheduled detection and alerts on anomalies", () => {
  const json = (body: unknown) => ({
    method: "POST",
    headers: { authorization: `Bearer ${t.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

  test("an anomaly rule cannot also filter logs: 422 naming anomaly_severity", async () => {
    const res = await t.request(
      "/api/v1/alerts/rules",
      json({
        name: "mixed",
        condition: "greater_than",
        threshold: 0,
        anomaly_severity: "high",
        query: "timeout",
      }),
    );
    expect(res.status).toBe(422);
    expect(JSON.stringify(await res.json())).toContain("anomaly_severity");
  });

  test("a tick records the burst, and a rule on high anomalies of that service fires once", async () => {
    const payment = `payment-service-${suffix}`;
    const created = await t.request(
      "/api/v1/alerts/rules",
      json({
        name: `anomalies of ${payment}`,
        condition: "greater_than",
        threshold: 0,
        time_window: 15,
        services: [payment],
        anomaly_severity: "high",
      }),
    );
    expect(created.status).toBe(201);
    const rule = (await created.json()) as { id: number; anomaly_severity: string };
    expect(rule.anomaly_severity).toBe("high");

    const deps = t.runtime.deps;
    const notices: Notice[] = [];
    const tick = (at: number) =>
      runAlertTick(
        {
          store: deps.store,
          rules: deps.alertRules,
          alerts: deps.triggeredAlerts,
          anomalies: deps.anomalies,
          ticks: new PostgresAlertTickRepo(t.runtime.sql),
          notify: async (n) => {
            notices.push(n);
            return recordOnlyNotifier(n);
          },
          intervalMs: MINUTE,
          owner: "test",
        },
        at,
      );

    // Six minutes into the burst: the tick looks at the last ten whole minutes.
    const at = burstStart + 6 * MINUTE + 1000;
    const first = await tick(at);
    expect(first.claimed).toBe(true);
    expect(first.anomalies).toBeGreaterThanOrEqual(1);

    const recorded = await get<{ anomalies: Anomaly[]; total: number }>(
      `/api/v1/anomaly/recorded?service=${payment}&min_severity=high`,
    );
    expect(recorded.status).toBe(200);
    expect(recorded.body.total).toBeGreaterThanOrEqual(1);
    for (const a of recorded.body.anomalies) {
      expect(a.service).toBe(payment);
      expect(["high", "critical"]).toContain(a.severity);
      const detected = Date.parse(a.detected_at as string);
      expect(detected).toBeGreaterThanOrEqual(burstStart);
      expect(detected).toBeLessThan(at);
    }
    // The same findings again (the next tick's overlapping window) are kept once.
    const all = await deps.anomalies!.list({ limit: 500 });
    expect(await deps.anomalies!.record(all.anomalies)).toBe(0);
    expect((await deps.anomalies!.list({ limit: 500 })).total).toBe(all.total);

    const fired = notices.filter((n) => n.rule.id === rule.id);
    expect(fired.map((n) => n.kind)).toEqual(["triggered"]);
    expect(fired[0]!.alert.message).toContain("anomalies of severity high or worse");
    expect(fired[0]!.alert.value).toBe(recorded.body.total);

    // While the anomalies stay in its window the rule does not fire again.
    await tick(at + MINUTE);
    expect(notices.filter((n) => n.rule.id === rule.id)).toHaveLength(1);
  }, 60_000);

  test("recorded anomalies: bad filters are 400 problems naming the parameter", async () => {
    for (const [q, name] of [
      ["min_severity=huge", "min_severity"],
      ["start_time=yesterday", "start_time"],
      ["limit=0", "limit"],
    ]) {
      const res = await get<{ detail: string }>(`/api/v1/anomaly/recorded?${q}`);
      expect(res.status).toBe(400);
      expect(res.body.detail).toContain(name!);
    }
  });
});
