import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { logEvent } from "../tests/helpers/events.ts";
import { LogEventSchema, MAX_EVENT_TIME_MS } from "./log-event.ts";
import { checkLogEvent, compileCheck, validateLogEvent } from "./log-event-check.ts";

const event = logEvent(Date.now(), { level: "WARNING", message: "slow", attributes: { ms: 812 } });

describe("checkLogEvent (the fast check in front of LogEventSchema)", () => {
  // Every field of a stored event, given every kind of JSON value, plus whole inputs of the wrong shape.
  const values: unknown[] = [undefined, null, "", "x", "INFO", "info", 0, 1.5, true, [], ["x"], {}, { a: 1 }];
  const attributeSets: unknown[] = [
    {},
    { a: "s", b: 2, c: false, d: -0.5 },
    { a: null },
    { a: [1] },
    { a: { b: 1 } },
    { a: "s", z: {} },
    JSON.parse('{"__proto__": "p"}'),
  ];
  const times = [
    "1970-01-01T00:00:00.000Z",
    "1969-12-31T23:59:59.999Z",
    new Date(MAX_EVENT_TIME_MS).toISOString(),
    "9999-12-31T12:00:00.000Z",
    "+010000-01-01T00:00:00.000Z",
    "yesterday",
  ];
  const ids = [event.id.toUpperCase(), "42", crypto.randomUUID(), `${event.id}0`];
  const inputs: unknown[] = [null, 1, "event", [], [event], {}, event, { ...event, extra: "dropped" }];
  for (const field of Object.keys(event)) {
    for (const v of values) {
      const copy: Record<string, unknown> = { ...event };
      if (v === undefined) delete copy[field];
      else copy[field] = v;
      inputs.push(copy);
    }
  }
  for (const attributes of attributeSets) inputs.push({ ...event, attributes });
  for (const level of ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "WARN", "warning"]) {
    inputs.push({ ...event, level });
  }
  for (const t of times) inputs.push({ ...event, timestamp: t }, { ...event, received_at: t });
  for (const id of ids) inputs.push({ ...event, id });

  test("accepts only what LogEventSchema accepts, returns what it returns, and defers only the odd case", () => {
    let accepted = 0;
    const deferred: unknown[] = [];
    for (const input of inputs) {
      const text = JSON.stringify(input) ?? "null";
      const fast = checkLogEvent(JSON.parse(text));
      const schema = LogEventSchema.safeParse(JSON.parse(text));
      if (fast) {
        expect({ input, schemaAccepts: schema.success }).toEqual({ input, schemaAccepts: true });
        if (schema.success) expect(fast).toEqual(schema.data);
        accepted++;
      } else if (schema.success) {
        deferred.push(input);
      }
    }
    // Not a vacuous pass: the valid variants were among the inputs, and all but one were taken fast.
    expect(accepted).toBeGreaterThan(25);
    expect(deferred).toEqual([{ ...event, attributes: JSON.parse('{"__proto__": "p"}') }]);
  });

  test("the schema and the check share the formats: UUID ids, times from 1970 to the end of 9999", () => {
    const reason = (patch: Record<string, unknown>) => {
      const v = validateLogEvent({ ...event, ...patch });
      return v.ok ? "ok" : v.reason;
    };
    expect(reason({})).toBe("ok");
    expect(reason({ id: "42" })).toBe("id: not a UUID");
    expect(reason({ timestamp: "yesterday" })).toBe("timestamp: not a date");
    expect(reason({ received_at: "+010000-01-01T00:00:00.000Z" })).toBe("received_at: not a date");
    expect(reason({ timestamp: new Date(MAX_EVENT_TIME_MS).toISOString() })).toBe("ok");
    expect(reason({ level: "LOUD", host: 3 })).toStartWith("level: ");
  });
});

describe("compileCheck", () => {
  test("is read off the schema: a field added there is checked without an edit", () => {
    const check = compileCheck(
      z.object({ a: z.string(), b: z.string().nullable(), c: z.enum(["x", "y"]) }),
      {},
    );
    expect(check({ a: "1", b: null, c: "x" })).toEqual({ a: "1", b: null, c: "x" });
    expect(check({ a: "1", b: null, c: "z" })).toBeNull();
    expect(check({ a: "1", c: "x" })).toBeNull();
    expect(check({ a: "1", b: "2", c: "y", d: 4 })).toEqual({ a: "1", b: "2", c: "y" });
  });

  test("an optional string may be absent, and is kept when present", () => {
    const schema = z.object({ a: z.string(), p: z.string().optional() });
    const check = compileCheck(schema, {});
    for (const raw of [
      { a: "1" },
      { a: "1", p: "x" },
      { a: "1", p: 2 },
      { a: "1", p: "x", q: 3 },
      { a: "1", q: 3 },
    ]) {
      const parsed = schema.safeParse(raw);
      expect(check(raw)).toEqual(parsed.success ? parsed.data : null);
    }
  });

  test("a field it cannot check is refused when it is built, not found out later", () => {
    expect(() => compileCheck(z.object({ a: z.array(z.string()) }), {})).toThrow(
      "schema field a has a array",
    );
    expect(() => compileCheck(z.object({ a: z.string().min(3) }), {})).toThrow("refinement");
    expect(() => compileCheck(z.object({ a: z.string() }), { a: { test: () => true } })).toThrow(
      "a format the schema does not check",
    );
    expect(() => compileCheck(z.object({ a: z.record(z.string(), z.array(z.number())) }), {})).toThrow();
  });
});
