import { beforeAll, describe, expect, test } from "bun:test";
import { freshService, ingest, suiteApp } from "../helpers/app.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

const MINUTE = 60_000;
const t = suiteApp();
const service = freshService("pattern-anomaly");
const now = Math.floor(Date.now() / MINUTE) * MINUTE;
const spikeAt = now - 5 * MINUTE;

beforeAll(async () => {
  // Two templates, ten lines a minute each (± one), for 100 minutes; five minutes ago one of them
  // wrote all twenty lines and the other none: the service's total never moved.
  const events = [];
  for (let m = 100; m >= 2; m--) {
    const at = now - m * MINUTE;
    const wobble = m % 3 === 0 ? 1 : m % 3 === 1 ? -1 : 0;
    const [a, b] = at === spikeAt ? [20, 0] : [10 + wobble, 10 - wobble];
    for (let i = 0; i < a; i++)
      events.push({
        service,
        level: "ERROR",
        message: `payment ${m * 100 + i} declined by issuer`,
        timestamp: at + i * 100,
      });
    for (let i = 0; i < b; i++)
      events.push({
        service,
        message: `order ${m * 100 + i} shipped to warehouse`,
        timestamp: at + i * 100 + 50,
      });
  }
  const res = await ingest(t, events);
  expect(((await res.json()) as { accepted: number }).accepted).toBe(events.length);
}, 60_000);

describe("GET /api/v1/anomaly/detect/patterns", () => {
  test("finds the spike of one template hidden inside a steady total", async () => {
    const res = await t.request(`/api/v1/anomaly/detect/patterns?service=${service}&window_minutes=30&top=5`);
    expect(res.status).toBe(200);
    const found = (await res.json()) as {
      detected_at: string;
      template: string;
      pattern: string;
      anomaly_type: string;
    }[];
    const spike = found.find(
      (a) => a.detected_at === new Date(spikeAt).toISOString() && a.template.startsWith("payment"),
    );
    expect(spike).toBeDefined();
    expect(spike!.anomaly_type).toBe("spike");
    expect(spike!.template).toContain("declined by issuer");

    // The service's own volume never moved: nothing at that minute.
    const total = await t.request(`/api/v1/anomaly/detect/log-volume?service=${service}&window_minutes=30`);
    const volume = (await total.json()) as { detected_at: string }[];
    expect(volume.filter((a) => a.detected_at === new Date(spikeAt).toISOString())).toEqual([]);
  });

  test("service is required", async () => {
    expect((await t.request("/api/v1/anomaly/detect/patterns")).status).toBe(400);
  });
});
