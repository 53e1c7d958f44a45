import { describe, expect, test } from "bun:test";
import { isUuid, timeOfId, uuidv7, uuidv7Keyed } from "./ids.ts";

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

describe("uuidv7Keyed", () => {
  const ms = 1_732_771_200_123;
  test("the same key and time give the same version-7 id carrying the time", () => {
    const id = uuidv7Keyed(ms, "es\0logs\0doc-1");
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uuidv7Keyed(ms, "es\0logs\0doc-1")).toBe(id);
    expect(timeOfId(id)).toBe(ms);
    expect(uuidv7Keyed(ms + 1, "es\0logs\0doc-1")).not.toBe(id);
  });

  test("keys that differ by one character, or only in order, give different ids", () => {
    const ids = new Set<string>();
    const keys: string[] = [];
    for (let i = 0; i < 100_000; i++) keys.push(`doc-${i}`);
    keys.push("ab", "ba", "", "\0", "\0\0", "a\0b", "ab\0");
    for (const k of keys) ids.add(uuidv7Keyed(ms, k));
    expect(ids.size).toBe(keys.length);
  });

  test("each of the 74 hashed bits is set for about half of the keys", () => {
    const ones = new Array(32).fill(0);
    const n = 4_000;
    for (let i = 0; i < n; i++) {
      const hex = uuidv7Keyed(ms, `k${i}`).replaceAll("-", "").slice(20);
      const bits = Number.parseInt(hex.slice(4), 16);
      for (let b = 0; b < 32; b++) if ((bits / 2 ** b) % 2 >= 1) ones[b]++;
    }
    for (const count of ones) expect(Math.abs(count / n - 0.5)).toBeLessThan(0.05);
  });
});
