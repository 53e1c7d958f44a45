import { describe, expect, test } from "bun:test";
import { LogEventSchema, parseLogEvent } from "../../log-event.ts";
import { checkedEvent, decodeLogMessage } from "./decode.ts";

const event = (() => {
  const p = parseLogEvent(
    { service: "api", level: "warn", message: "slow", attributes: { ms: 812 } },
    Date.now(),
  );
  if (!p.ok) throw new Error(p.error);
  return p.event;
})();
const bytes = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v));

describe("decodeLogMessage", () => {
  test("an event as the collector published it decodes to the same event", () => {
    expect(decodeLogMessage(bytes(event), 1024 * 1024)).toEqual({ ok: true, event });
  });

  test("each kind of poison gets a reason, never an exception", () => {
    const reason = (v: Uint8Array | null, max = 1024 * 1024) => {
      const d = decodeLogMessage(v, max);
      return d.ok ? "ok" : d.reason;
    };
    expect(reason(null)).toBe("empty message");
    expect(reason(bytes(event), 100)).toMatch(/^oversized: \d+ bytes > 100$/);
    expect(reason(bytes("{not json"))).toStartWith("not JSON:");
    expect(reason(Buffer.from([0x7b, 0xff, 0x7d]))).toStartWith("not JSON:"); // invalid UTF-8
    expect(reason(bytes([event]))).toStartWith("invalid event:");
    expect(reason(bytes({ ...event, level: "LOUD" }))).toStartWith("invalid event: level");
    expect(reason(bytes({ ...event, id: "42" }))).toBe("invalid event: id: not a UUID");
    expect(reason(bytes({ ...event, timestamp: "yesterday" }))).toBe("invalid event: timestamp: not a date");
  });
});

describe("checkedEvent (the fast check in front of the schema)", () => {
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

  test("accepts only what LogEventSchema accepts, returns what it returns, and defers only the odd case", () => {
    let accepted = 0;
    const deferred: unknown[] = [];
    for (const input of inputs) {
      const text = JSON.stringify(input) ?? "null";
      const fast = checkedEvent(JSON.parse(text));
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
    expect(accepted).toBeGreaterThan(20);
    expect(deferred).toEqual([{ ...event, attributes: JSON.parse('{"__proto__": "p"}') }]);
  });
});
