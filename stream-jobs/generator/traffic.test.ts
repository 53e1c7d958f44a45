import { describe, expect, test } from "bun:test";
import { parseLogEvent } from "../../core/log-event.ts";
import { integrationTimeouts } from "../../tests/helpers/timeouts.ts";
import { createTraffic, SERVICES, type TrafficEvent } from "./traffic.ts";

// CPU-heavy (many random cases): a loaded CI machine runs it several times slower.
integrationTimeouts();

const T0 = Date.UTC(2026, 10, 27, 10, 0, 0);

function levelShares(events: TrafficEvent[]): Record<string, number> {
  const counts: Record<string, number> = { DEBUG: 0, INFO: 0, WARNING: 0, ERROR: 0, CRITICAL: 0 };
  for (const e of events) counts[e.level] = (counts[e.level] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v / events.length]));
}

/** Map.groupBy is ES2024; the project targets ES2023 typings. */
function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function errorShare(events: TrafficEvent[]): number {
  if (events.length === 0) return 0;
  return events.filter((e) => e.level === "ERROR" || e.level === "CRITICAL").length / events.length;
}

/** Drive the generator like a live sender would: one `next` per tick over `seconds`. */
function run(traffic: ReturnType<typeof createTraffic>, from: number, seconds: number, tickMs = 250) {
  const out: TrafficEvent[] = [];
  for (let t = from; t <= from + seconds * 1000; t += tickMs) out.push(...traffic.next(t));
  return out;
}

describe("determinism", () => {
  test("the same seed and clock give the same events, ids included", () => {
    const a = createTraffic({ seed: 42, rate: 50, start: T0 }).batch(2_000);
    const b = createTraffic({ seed: 42, rate: 50, start: T0 }).batch(2_000);
    expect(a).toEqual(b);
    expect(run(createTraffic({ seed: "s", start: T0 }), T0, 30)).toEqual(
      run(createTraffic({ seed: "s", start: T0 }), T0, 30),
    );
  });

  test("different seeds give different traffic", () => {
    const a = createTraffic({ seed: 1, start: T0 }).batch(200);
    const b = createTraffic({ seed: 2, start: T0 }).batch(200);
    expect(a.map((e) => e.message)).not.toEqual(b.map((e) => e.message));
    const ids = new Set(a.map((e) => e.correlation_id));
    expect(b.some((e) => ids.has(e.correlation_id))).toBe(false);
  });

  test("how often next() is called changes when lines are released, not which lines", () => {
    const fine = run(createTraffic({ seed: 7, start: T0 }), T0, 20, 100);
    const coarse = run(createTraffic({ seed: 7, start: T0 }), T0, 20, 5_000);
    expect(coarse).toEqual(fine);
  });

  test("the first next() without a start begins the simulation at that time", () => {
    const traffic = createTraffic({ seed: 3, clock: () => T0 });
    traffic.next();
    const events = traffic.next(T0 + 10_000);
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) expect(Date.parse(e.timestamp)).toBeGreaterThanOrEqual(T0);
  });
});

describe("event shape", () => {
  const events = createTraffic({ seed: 11, rate: 100, start: T0 }).batch(5_000);

  test("every generated event passes parseLogEvent and keeps its fields", () => {
    for (const raw of events) {
      const parsed = parseLogEvent(raw, T0 + 3_600_000);
      if (!parsed.ok) throw new Error(`${parsed.error}: ${JSON.stringify(raw)}`);
      expect(parsed.event.level).toBe(raw.level);
      expect(parsed.event.message).toBe(raw.message);
      expect(parsed.event.timestamp).toBe(raw.timestamp);
      expect(parsed.event.correlation_id).toBe(raw.correlation_id);
      expect(parsed.event.attributes).toEqual(raw.attributes);
    }
  });

  test("events are plain JSON objects that survive a round trip", () => {
    expect(JSON.parse(JSON.stringify(events))).toEqual(events);
  });

  test("all seven services appear, with latency, HTTP and user attributes", () => {
    expect(new Set(events.map((e) => e.service))).toEqual(new Set(SERVICES));
    const access = events.filter(
      (e) =>
        e.service === "api-gateway" && / \d{3} in \d+ms$/.test(e.message) && e.attributes.path !== "/healthz",
    );
    const probes = events.filter((e) => e.attributes.path === "/healthz");
    expect(probes.length).toBeGreaterThan(0);
    expect(probes.every((e) => e.level === "DEBUG" && e.attributes.user_id === undefined)).toBe(true);
    expect(access.length).toBeGreaterThan(100);
    for (const e of access) {
      const { method, path, status_code, latency_ms, region, user_id } = e.attributes;
      // Plain checks: Bun 1.4's toMatchObject writes asymmetric matchers back into the received object.
      expect([typeof method, typeof path, typeof status_code, typeof latency_ms, typeof region]).toEqual([
        "string",
        "string",
        "number",
        "number",
        "string",
      ]);
      expect(String(path)).toStartWith("/");
      expect(String(user_id)).toMatch(/^u_\d+$/);
      expect(e.message).toEndWith(`${status_code} in ${latency_ms}ms`);
    }
  });

  test("events come out in timestamp order", () => {
    const times = events.map((e) => Date.parse(e.timestamp));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  test("messages are varied and realistic", () => {
    const messages = events.map((e) => e.message);
    expect(new Set(messages).size).toBeGreaterThan(events.length * 0.8);
    expect(messages.some((m) => /^POST \/api\/v1\/orders 201 in \d+ms$/.test(m))).toBe(true);
    expect(
      messages.some((m) => /^payment authorized for order ord_\d+ amount=\d+\.\d\d [A-Z]{3}/.test(m)),
    ).toBe(true);
    expect(messages.some((m) => /^inventory reserved sku=SKU-\d{4} qty=\d/.test(m))).toBe(true);
    expect(messages.some((m) => /^token refreshed for user u_\d+/.test(m))).toBe(true);
  });
});

describe("requests", () => {
  const events = createTraffic({ seed: 5, rate: 100, start: T0 }).batch(10_000);
  const byRequest = groupBy(events, (e) => e.correlation_id);

  test("the lines of one request share a correlation id and a trace id across services", () => {
    const multi = [...byRequest.values()].filter((lines) => new Set(lines.map((l) => l.service)).size >= 4);
    expect(multi.length).toBeGreaterThan(100);
    for (const lines of byRequest.values()) {
      expect(new Set(lines.map((l) => l.trace_id)).size).toBe(1);
    }
  });

  test("each service hop has its own request id and span, and distinct requests share nothing", () => {
    for (const lines of byRequest.values()) {
      for (const [, hop] of groupBy(lines, (l) => l.span_id)) {
        expect(new Set(hop.map((l) => l.request_id)).size).toBe(1);
        expect(new Set(hop.map((l) => l.service)).size).toBe(1);
      }
    }
    const traceIds = [...byRequest.values()].map((lines) => lines[0]?.trace_id);
    expect(new Set(traceIds).size).toBe(byRequest.size);
    const requestIdsPerCorrelation = [...byRequest.values()].map(
      (lines) => new Set(lines.map((l) => l.request_id)),
    );
    const seen = new Set<string>();
    for (const ids of requestIdsPerCorrelation) {
      for (const id of ids) {
        expect(seen.has(id)).toBe(false);
        seen.add(id);
      }
    }
    for (const id of byRequest.keys())
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test("a checkout flows gateway → auth → order → inventory → payment, hops milliseconds apart", () => {
    const checkout = [...byRequest.values()].find((lines) =>
      lines.some((l) => /^POST \/api\/v1\/orders 201 /.test(l.message)),
    );
    expect(checkout).toBeDefined();
    const services = new Set(checkout?.map((l) => l.service));
    for (const s of ["api-gateway", "order-service", "inventory-service", "payment-service"])
      expect(services.has(s as never)).toBe(true);
    const times = (checkout ?? []).map((l) => Date.parse(l.timestamp));
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? t));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...times) - Math.min(...times)).toBeLessThan(15_000);
  });
});

describe("level mix", () => {
  test("over 10k events: mostly INFO, some DEBUG, ~5% WARNING, ~1–2% ERROR, rare CRITICAL", () => {
    for (const seed of [1, 42, "mix"]) {
      const shares = levelShares(createTraffic({ seed, rate: 100, start: T0 }).batch(10_000));
      expect(shares.INFO).toBeGreaterThan(0.65);
      expect(shares.DEBUG).toBeWithin(0.05, 0.25);
      expect(shares.WARNING).toBeWithin(0.03, 0.08);
      expect(shares.ERROR).toBeWithin(0.006, 0.025);
      expect(shares.CRITICAL).toBeLessThan(0.003);
    }
    const critical = createTraffic({ seed: 9, rate: 100, start: T0 })
      .batch(100_000)
      .filter((e) => e.level === "CRITICAL");
    expect(critical.length).toBeGreaterThan(0);
  });
});

describe("modes", () => {
  test("an error burst raises the error share of the chosen service for its duration only", () => {
    const traffic = createTraffic({ seed: 8, rate: 200, start: T0 });
    const before = run(traffic, T0, 60);
    traffic.errorBurst({ service: "payment-service", durationMs: 60_000 });
    const during = run(traffic, T0 + 60_250, 59.75);
    const after = run(traffic, T0 + 125_000, 60);
    const payment = (events: TrafficEvent[]) => events.filter((e) => e.service === "payment-service");
    expect(errorShare(payment(before))).toBeLessThan(0.08);
    expect(errorShare(payment(during))).toBeGreaterThan(0.35);
    expect(payment(during).some((e) => e.level === "CRITICAL")).toBe(true);
    expect(errorShare(payment(after))).toBeLessThan(0.08);
    // Other services are hit only through the cascade, far less than the failing one.
    expect(errorShare(during.filter((e) => e.service === "user-service"))).toBeLessThan(0.1);
  });

  test("every service can be put in an error burst", () => {
    for (const service of SERVICES) {
      const traffic = createTraffic({
        seed: service,
        rate: 300,
        start: T0,
        errorBursts: [{ service, durationMs: 120_000 }],
      });
      const own = run(traffic, T0, 60, 1_000).filter((e) => e.service === service);
      expect(errorShare(own)).toBeGreaterThan(0.3);
    }
  });

  /** Traffic at `rate` with one minute of `multiplier` times it, starting `afterMs` after T0. */
  const oneSpike = (rate: number, multiplier: number, afterMs: number) =>
    createTraffic({
      seed: 4,
      rate,
      start: T0,
      spikes: [{ multiplier, startMs: T0 + afterMs, durationMs: 60_000 }],
    });

  test("a spike multiplies the volume while it lasts", () => {
    const traffic = oneSpike(50, 5, 120_000);
    const normal = run(traffic, T0, 119.75).length;
    const spiked = run(traffic, T0 + 120_000, 59.75).length;
    const ratio = spiked / (normal / 2);
    expect(normal / 120).toBeWithin(35, 65);
    expect(ratio).toBeWithin(3.8, 6.2);
    expect(traffic.rateAt(T0 + 130_000)).toBe(250);
    expect(traffic.rateAt(T0 + 200_000)).toBe(50);
  });

  test("a multiplier below 1 makes a drop", () => {
    const traffic = oneSpike(100, 0.1, 60_000);
    const normal = run(traffic, T0, 59.75).length;
    const dropped = run(traffic, T0 + 60_000, 59.75).length;
    expect(dropped).toBeLessThan(normal * 0.25);
  });

  test("bad options are refused with a reason", () => {
    expect(() => createTraffic({ rate: 0 })).toThrow("rate must be a positive number");
    const traffic = createTraffic({ start: T0 });
    expect(() => traffic.errorBurst({ service: "billing" as never, durationMs: 1_000 })).toThrow(
      "unknown service",
    );
    expect(() => traffic.spike({ multiplier: -2, durationMs: 1_000 })).toThrow("multiplier");
    expect(() => traffic.batch(-1)).toThrow("batch size");
  });
});

describe("batch", () => {
  test("returns exactly n events and continues where it left off", () => {
    const traffic = createTraffic({ seed: 6, start: T0 });
    const a = traffic.batch(37);
    const b = traffic.batch(1_000);
    expect(a).toHaveLength(37);
    expect(b).toHaveLength(1_000);
    expect(createTraffic({ seed: 6, start: T0 }).batch(1_037)).toEqual([...a, ...b]);
    expect(traffic.batch(0)).toEqual([]);
  });

  test("simulated time advances at the configured rate", () => {
    const traffic = createTraffic({ seed: 6, rate: 100, start: T0 });
    const events = traffic.batch(6_000);
    const spanSeconds = (Date.parse(events.at(-1)?.timestamp ?? "") - T0) / 1000;
    expect(spanSeconds).toBeWithin(50, 70);
  });
});
