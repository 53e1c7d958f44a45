import { describe, expect, test } from "bun:test";
import { base64, base64url, fromBase64url } from "./base64.ts";

describe("base64", () => {
  test("the same text as Node's Buffer for every length and byte value", () => {
    for (let n = 0; n < 70; n++) {
      const bytes = crypto.getRandomValues(new Uint8Array(n));
      expect(base64(bytes)).toBe(Buffer.from(bytes).toString("base64"));
      expect(base64url(bytes)).toBe(Buffer.from(bytes).toString("base64url"));
      expect(fromBase64url(base64url(bytes))).toEqual(bytes);
    }
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(base64url(all)).toBe(Buffer.from(all).toString("base64url"));
    expect(fromBase64url(base64url(all))).toEqual(all);
  });

  test("base64url has no +, / or padding; its decoder takes padding and refuses other characters", () => {
    const bytes = new Uint8Array([0xfb, 0xff, 0xfe]);
    expect(base64(bytes)).toBe("+//+");
    expect(base64url(bytes)).toBe("-__-");
    expect(base64url(new Uint8Array([1]))).toBe("AQ");
    expect(fromBase64url("AQ==")).toEqual(new Uint8Array([1]));
    for (const bad of ["+//+", "A", "AQ=A", "a b", "AQ==="]) expect(() => fromBase64url(bad)).toThrow();
  });
});
