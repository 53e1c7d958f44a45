import { describe, expect, test } from "bun:test";
import { parseLogEvent } from "../../log-event.ts";
import { decodeLogMessage } from "./decode.ts";

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
