import { describe, expect, test } from "bun:test";
import { locateJsonError } from "./json-error.ts";

describe("locateJsonError", () => {
  test("valid JSON has no error", () => {
    for (const ok of ['{"a":[1,2.5e3,-0,true,false,null,"\\u00e9\\n"]}', " [] ", '"x"', "0"]) {
      expect(locateJsonError(ok)).toBeNull();
    }
  });
  test("points at the first offending character", () => {
    expect(locateJsonError('{"a": 1,\n "b": oops}')).toMatchObject({ line: 2, column: 7 });
    expect(locateJsonError('{"a": 1,}')?.reason).toContain("property name");
    expect(locateJsonError("[1, 2")?.reason).toContain("end of input");
    expect(locateJsonError('{"a": "unterminated')?.reason).toBe("unterminated string");
    expect(locateJsonError("{} {}")?.reason).toContain("after the JSON value");
    expect(locateJsonError("[01]")?.column).toBe(3);
  });
  test("agrees with JSON.parse on a corpus of broken inputs", () => {
    for (const bad of ["{", "}", '{"a"}', "[,]", "tru", "nul", '"\\x"', "1.", "-", "[1,]", '{"a":1 "b":2}']) {
      expect(() => JSON.parse(bad)).toThrow();
      expect(locateJsonError(bad)).not.toBeNull();
    }
  });
});
