import { describe, expect, test } from "bun:test";
import { isUuid, timeOfId, uuidv7 } from "./ids.ts";

describe("uuidv7", () => {
  test("an RFC 9562 version-7 UUID carrying the event's millisecond", () => {
    for (const ms of [0, 1, 1_732_771_200_123, Date.UTC(9999, 11, 31, 23, 59, 59, 999), 2 ** 48 - 1]) {
      const id = uuidv7(ms);
      expect(isUuid(id)).toBe(true);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(timeOfId(id)).toBe(ms);
    }
  });

  test("ids of one millisecond differ, and ids sort by their time", () => {
    // More ids than one draw of random bytes holds, so the pool is refilled on the way.
    const ids = Array.from({ length: 5_000 }, () => uuidv7(1_732_771_200_123));
    expect(new Set(ids).size).toBe(ids.length);
    const later = uuidv7(1_732_771_200_124);
    for (const id of ids) expect(id < later).toBe(true);
  });

  test("ids of one millisecond sort in the order they were minted, even with other times in between", () => {
    const ms = 1_732_771_200_123;
    const ids = Array.from({ length: 5_000 }, () => uuidv7(ms));
    expect(ids.toSorted()).toEqual(ids);
    const interleaved: string[] = [];
    for (let i = 0; i < 1_000; i++) {
      interleaved.push(uuidv7(ms));
      uuidv7(ms - 1 - (i % 7));
      uuidv7(ms + 1 + (i % 5));
    }
    expect(interleaved.toSorted()).toEqual(interleaved);
    expect(interleaved[0]! > ids.at(-1)!).toBe(true);
  });

  test("the random part is spread over every hex digit", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i++) seen.add(uuidv7(0).slice(-1));
    expect(seen.size).toBe(16);
  });

  test("fractions are floored; what is not a positive time becomes 0; past 48 bits it wraps", () => {
    expect(timeOfId(uuidv7(5.9))).toBe(5);
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) expect(timeOfId(uuidv7(bad))).toBe(0);
    expect(timeOfId(uuidv7(2 ** 48 + 7))).toBe(7);
  });
});
