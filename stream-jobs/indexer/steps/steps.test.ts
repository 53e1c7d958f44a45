import { describe, expect, test } from "bun:test";
import { logEvent } from "../../../tests/helpers/events.ts";
import { decodeMessage } from "./decode.ts";
import { validateEvent } from "./validate.ts";

const event = logEvent(Date.now(), { level: "WARNING", message: "slow", attributes: { ms: 812 } });
const bytes = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v));

/** The message through decode and validate: the event, or the dead-letter reason. */
function steps(value: Uint8Array | null, max = 1024 * 1024) {
  const d = decodeMessage(value, max);
  if (d.kind !== "ok") return d.reason;
  const v = validateEvent(d.value);
  return v.kind === "ok" ? v.value : v.reason;
}

describe("decode and validate", () => {
  test("an event as the collector published it comes out as the same event", () => {
    expect(steps(bytes(event))).toEqual(event);
  });

  test("each kind of poison is dead-lettered with a reason, never an exception", () => {
    expect(steps(null)).toBe("empty message");
    expect(steps(bytes(event), 100)).toMatch(/^oversized: \d+ bytes > 100$/);
    expect(steps(bytes("{not json"))).toStartWith("not JSON:");
    expect(steps(Buffer.from([0x7b, 0xff, 0x7d]))).toStartWith("not JSON:"); // invalid UTF-8
    expect(steps(bytes([event]))).toStartWith("invalid event:");
    expect(steps(bytes({ ...event, level: "LOUD" }))).toStartWith("invalid event: level");
    expect(steps(bytes({ ...event, id: "42" }))).toBe("invalid event: id: not a UUID");
    expect(steps(bytes({ ...event, timestamp: "yesterday" }))).toBe("invalid event: timestamp: not a date");
  });
});
