import { describe, expect, test } from "bun:test";
import { levelFromPino, normalizeLevel } from "./level.ts";

describe("normalizeLevel", () => {
  test("names in any case, with aliases", () => {
    expect(normalizeLevel("warn")).toBe("WARNING");
    expect(normalizeLevel("WARNING")).toBe("WARNING");
    expect(normalizeLevel("Err")).toBe("ERROR");
    expect(normalizeLevel("FATAL")).toBe("CRITICAL");
    expect(normalizeLevel("crit")).toBe("CRITICAL");
    expect(normalizeLevel("trace")).toBe("DEBUG");
    expect(normalizeLevel(" info ")).toBe("INFO");
    expect(normalizeLevel("ERROR3")).toBe("ERROR"); // OTel severity text with a digit suffix
    expect(normalizeLevel("verbose")).toBe("DEBUG"); // winston, Serilog
    expect(normalizeLevel("silly")).toBe("DEBUG"); // winston
  });
  test("syslog severities 0–7, OTel SeverityNumber above", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(normalizeLevel)).toEqual([
      "CRITICAL",
      "CRITICAL",
      "CRITICAL",
      "ERROR",
      "WARNING",
      "INFO",
      "INFO",
      "DEBUG",
    ]);
    expect(normalizeLevel(9)).toBe("INFO");
    expect(normalizeLevel(13)).toBe("WARNING");
    expect(normalizeLevel(17)).toBe("ERROR");
    expect(normalizeLevel(24)).toBe("CRITICAL");
  });
  test("anything else is null", () => {
    for (const v of ["loud", "", 25, -1, 2.5, null, {}, true]) expect(normalizeLevel(v)).toBeNull();
  });
});

describe("levelFromPino", () => {
  test("pino's and bunyan's 10–60; anything else is null", () => {
    expect([10, 20, 30, 40, 50, 60].map(levelFromPino)).toEqual([
      "DEBUG",
      "DEBUG",
      "INFO",
      "WARNING",
      "ERROR",
      "CRITICAL",
    ]);
    for (const n of [0, 5, 15, 35, 70]) expect(levelFromPino(n)).toBeNull();
  });
});
