import { describe, expect, test } from "bun:test";
import { dedupe, detectSeries, type MetricSeries, severityOf } from "./anomalies.ts";
import { scoreSeries } from "./detector.ts";
import { seededRandom } from "./isolation-forest.ts";

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 1);

/** Normal noise (Box–Muller) from a seeded generator: the same series every run. */
function noise(seed: number): () => number {
  const r = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

function series(values: number[]): MetricSeries {
  return { metric: "log_volume", service: "svc", timestamps: values.map((_, i) => T0 + i * MINUTE), values };
}

/** n one-minute points around `level` with standard deviation `sd`. */
function steady(n: number, level: number, sd: number, seed = 1): number[] {
  const g = noise(seed);
  return Array.from({ length: n }, () => Math.max(0, Math.round(level + sd * g())));
}

const lastHour = (values: number[]) => ({ reportFrom: T0 + (values.length - 60) * MINUTE, minScale: 1 });

describe("anomaly detection on synthetic series", () => {
  test("a spike is found as a spike, critical when it is many times the usual volume", () => {
    const values = steady(600, 100, 5);
    values[570] = 400;
    const found = detectSeries(series(values), lastHour(values));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ anomaly_type: "spike", severity: "critical", actual_value: 400 });
    expect(found[0]!.expected_value).toBeCloseTo(100, -1);
    expect(found[0]!.deviation_percent).toBeGreaterThan(250);
  });

  test("a drop to nothing is found as a drop", () => {
    const values = steady(600, 100, 5, 2);
    values[570] = 0;
    const found = detectSeries(series(values), lastHour(values));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ anomaly_type: "drop", severity: "critical", actual_value: 0 });
    expect(found[0]!.deviation_percent).toBeCloseTo(-100, -1);
  });

  test("a moderate spike is a less severe spike", () => {
    const values = steady(600, 100, 5, 3);
    values[570] = 140; // about 8 robust standard deviations
    const found = detectSeries(series(values), lastHour(values));
    expect(found).toHaveLength(1);
    expect(found[0]!.anomaly_type).toBe("spike");
    expect(["high", "medium"]).toContain(found[0]!.severity);
  });

  test("a level shift is found once, as a pattern change", () => {
    const values = steady(600, 100, 5, 4).map((v, i) => (i >= 560 ? v + 60 : v));
    const found = detectSeries(series(values), lastHour(values));
    expect(found.length).toBeGreaterThanOrEqual(1);
    expect(found[0]!.anomaly_type).toBe("pattern_change");
    expect(found[0]!.detected_at).toBe(new Date(T0 + 560 * MINUTE).toISOString());
    expect(found[0]!.description).toContain("level shift up");
  });

  test("a flat series and a noisy but steady one yield nothing", () => {
    const flat = new Array(600).fill(50);
    expect(detectSeries(series(flat), lastHour(flat))).toEqual([]);
    const steadyValues = steady(2000, 100, 5, 5);
    expect(detectSeries(series(steadyValues), { reportFrom: T0, minScale: 1 })).toEqual([]);
  });

  test("a daily cycle is normal: three days of it yield nothing on the last day", () => {
    const g = noise(6);
    const values = Array.from({ length: 3 * 1440 }, (_, i) =>
      Math.round(200 + 120 * Math.sin((2 * Math.PI * i) / 1440) + 5 * g()),
    );
    const found = detectSeries(series(values), {
      reportFrom: T0 + 2 * 1440 * MINUTE,
      period: 1440,
      minScale: 1,
    });
    expect(found).toEqual([]);
  });

  test("scores stay in [0, 1] and each point is scored from the past only", () => {
    const values = steady(300, 100, 5, 7);
    const a = scoreSeries(values);
    const b = scoreSeries([...values.slice(0, 200), 9999, ...values.slice(201)]);
    expect(a.every((p) => p.score >= 0 && p.score <= 1)).toBe(true);
    expect(b.slice(0, 200)).toEqual(a.slice(0, 200)); // a later outlier changes nothing before it
  });
});

describe("severity and deduplication", () => {
  test("severity bands follow the robust z", () => {
    expect(severityOf(4.5)).toBe("low");
    expect(severityOf(-6.5)).toBe("medium");
    expect(severityOf(9)).toBe("high");
    expect(severityOf(30)).toBe("critical");
  });

  test("overlapping detections of one metric and service keep the most severe one", () => {
    const base = {
      metric_name: "log_volume" as const,
      service: "svc",
      anomaly_type: "spike" as const,
      description: "",
      actual_value: 1,
      expected_value: 1,
      deviation_percent: 0,
    };
    const at = (m: number) => new Date(T0 + m * MINUTE).toISOString();
    const kept = dedupe(
      [
        { ...base, detected_at: at(0), score: 0.6, severity: "low" },
        { ...base, detected_at: at(2), score: 0.9, severity: "critical" },
        { ...base, detected_at: at(4), score: 0.7, severity: "medium" },
        { ...base, detected_at: at(30), score: 0.6, severity: "low" },
        { ...base, service: "other", detected_at: at(1), score: 0.6, severity: "low" },
      ],
      5 * MINUTE,
    );
    expect(kept.map((a) => [a.service, a.severity])).toEqual([
      ["svc", "low"],
      ["svc", "critical"],
      ["other", "low"],
    ]);
  });
});
