import { describe, expect, test } from "bun:test";
import { timeOfId } from "./ids.ts";
import {
  DEFAULT_EVENT_LIMITS,
  eventTimeOf,
  formatEventTime,
  parseLogEvent,
  parseTimestamp,
} from "./log-event.ts";

const NOW = Date.parse("2026-11-27T12:00:00.000Z");

describe("parseTimestamp", () => {
  test("tells epoch units apart by magnitude", () => {
    const ms = Date.parse("2026-11-27T11:00:00.123Z");
    expect(parseTimestamp(ms)).toBe(ms);
    expect(parseTimestamp(ms / 1000)).toBe(ms);
    expect(parseTimestamp(ms * 1000)).toBe(ms);
    expect(parseTimestamp(`${BigInt(ms) * 1_000_000n}`)).toBe(ms);
    expect(parseTimestamp("2026-11-27T11:00:00.123Z")).toBe(ms);
    expect(parseTimestamp("2026-11-27T12:00:00.123+01:00")).toBe(ms);
  });
  test("refuses loose text Date.parse would accept", () => {
    expect(parseTimestamp("Nov 27 2026")).toBeNull();
    expect(parseTimestamp("1")).toBe(1000);
    expect(parseTimestamp(-5)).toBeNull();
  });
});

describe("parseLogEvent", () => {
  test("assigns a UUIDv7 carrying the event's millisecond, and received_at", () => {
    const r = parseLogEvent({ service: "a", message: "m", timestamp: NOW - 5000 }, NOW);
    if (!r.ok) throw new Error(r.error);
    expect(timeOfId(r.event.id)).toBe(NOW - 5000);
    expect(r.event.received_at).toBe(new Date(NOW).toISOString());
    expect(r.event.level).toBe("INFO");
  });
  test("aliases: msg, @timestamp, severity, camelCase ids", () => {
    const r = parseLogEvent(
      { service: "a", msg: "m", "@timestamp": new Date(NOW).toISOString(), severity: "warn", traceId: "t1" },
      NOW,
    );
    if (!r.ok) throw new Error(r.error);
    expect(r.event).toMatchObject({ message: "m", level: "WARNING", trace_id: "t1", attributes: {} });
  });
  test("nulls are absent; nested extras are flattened into attributes", () => {
    const r = parseLogEvent(
      { service: "a", message: "m", host: null, k8s: { pod: { name: "p-1" } }, tags: ["x"] },
      NOW,
    );
    if (!r.ok) throw new Error(r.error);
    expect(r.event.host).toBeNull();
    expect(r.event.attributes).toEqual({ "k8s.pod.name": "p-1", tags: '["x"]' });
  });
  test("limits give reasons", () => {
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i]));
    const r = parseLogEvent({ service: "a", message: "m", attributes: many }, NOW, DEFAULT_EVENT_LIMITS);
    expect(r).toEqual({ ok: false, error: "attributes: more than 64 attributes" });
    const s = parseLogEvent({ service: "", message: "m" }, NOW);
    expect(s.ok).toBe(false);
    const w = parseLogEvent({ service: "a", message: 42 }, NOW);
    expect(!w.ok && w.error).toContain("message");
  });
});

describe("parseLogEvent with an id key", () => {
  test("the same key and time give the same id; without a key every parse mints a new one", () => {
    const raw = { service: "a", message: "m", timestamp: NOW - 1000 };
    const a = parseLogEvent(raw, NOW, DEFAULT_EVENT_LIMITS, "es\0logs\0d1");
    const b = parseLogEvent(raw, NOW + 5, DEFAULT_EVENT_LIMITS, "es\0logs\0d1");
    const c = parseLogEvent(raw, NOW, DEFAULT_EVENT_LIMITS, "es\0logs\0d2");
    const d = parseLogEvent(raw, NOW);
    const e = parseLogEvent(raw, NOW);
    if (!a.ok || !b.ok || !c.ok || !d.ok || !e.ok) throw new Error("refused");
    expect(a.event.id).toBe(b.event.id);
    expect(c.event.id).not.toBe(a.event.id);
    expect(d.event.id).not.toBe(e.event.id);
    expect(timeOfId(a.event.id)).toBe(NOW - 1000);
  });
});

test("a deeply nested extra field is kept as JSON cut at depth (JSON.stringify would spend seconds on it)", () => {
  const deep = JSON.parse(
    `{"service":"a","message":"m","x":${'{"a":'.repeat(50_000)}1${"}".repeat(50_000)}}`,
  );
  const r = parseLogEvent(deep, NOW);
  if (!r.ok) throw new Error(r.error);
  expect(r.event.attributes["x.a.a.a.a"]).toBe(`${'{"a":'.repeat(16)}"…"${"}".repeat(16)}`);
});

describe("microseconds", () => {
  const ms = Date.UTC(2026, 11, 3, 10, 0, 0, 123);
  test("parseTimestamp keeps them from ISO fractions and epoch µs/ns, cutting what is below", () => {
    expect(parseTimestamp("2026-12-03T10:00:00.123456Z")).toBe(ms + 0.456);
    expect(parseTimestamp("2026-12-03T10:00:00.123456789Z")).toBe(ms + 0.456);
    expect(parseTimestamp("2026-12-03T11:00:00.1234+01:00")).toBe(ms + 0.4);
    expect(parseTimestamp(ms * 1000 + 456)).toBe(ms + 0.456);
    expect(parseTimestamp(`${BigInt(ms) * 1_000_000n + 456_999n}`)).toBe(ms + 0.456);
    expect(parseTimestamp((ms + 0.456) / 1000)).toBe(ms + 0.456);
  });

  test("formatEventTime writes three digits, or six when there are microseconds; eventTimeOf reads both", () => {
    expect(formatEventTime(ms)).toBe("2026-12-03T10:00:00.123Z");
    expect(formatEventTime(ms + 0.456)).toBe("2026-12-03T10:00:00.123456Z");
    expect(formatEventTime(ms + 0.001)).toBe("2026-12-03T10:00:00.123001Z");
    expect(formatEventTime(ms + 0.999)).toBe("2026-12-03T10:00:00.123999Z");
    for (const t of [ms, ms + 0.001, ms + 0.456, ms + 0.999]) expect(eventTimeOf(formatEventTime(t))).toBe(t);
  });

  test("an event keeps them, with its id's time in the millisecond", () => {
    const parsed = parseLogEvent(
      { service: "s", message: "m", timestamp: "2026-12-03T10:00:00.123456Z" },
      ms,
    );
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.event.timestamp).toBe("2026-12-03T10:00:00.123456Z");
    expect(timeOfId(parsed.event.id)).toBe(ms);
  });
});
