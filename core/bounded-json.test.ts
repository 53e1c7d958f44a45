import { describe, expect, test } from "bun:test";
import { boundedJson } from "./bounded-json.ts";

describe("boundedJson", () => {
  test("writes what JSON.stringify writes for ordinary values", () => {
    for (const v of [1, 'a"b\n', true, null, [1, [2, { a: "x" }]], { a: { b: [1.5, -2e-7] }, 'k"': false }]) {
      expect(boundedJson(v)).toBe(JSON.stringify(v));
    }
  });

  test("nesting past the depth is written as an ellipsis, so deep input costs little", () => {
    expect(boundedJson({ a: { b: { c: 1 } } }, Number.POSITIVE_INFINITY, 2)).toBe('{"a":{"b":"…"}}');
    const deep = JSON.parse(`${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`);
    expect(boundedJson(deep)).toBe(`${'{"a":'.repeat(16)}"…"${"}".repeat(16)}`);
  });

  test("stops writing past the length and cuts the text there", () => {
    const big = Array.from({ length: 100_000 }, (_, i) => i);
    expect(boundedJson(big, 10)).toBe("[0,1,2,3,4");
  });
});
