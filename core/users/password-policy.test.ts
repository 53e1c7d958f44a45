import { describe, expect, test } from "bun:test";
import { isCommonPassword, judgePassword } from "./password-policy.ts";

describe("password policy", () => {
  test("the most common breached passwords are known, in any case; the seed's example is not among them", () => {
    for (const p of ["password", "12345678", "qwerty123", "PASSWORD", "iloveyou"])
      expect(isCommonPassword(p)).toBe(true);
    expect(isCommonPassword("secure123")).toBe(false);
    expect(isCommonPassword("correct-horse-battery-7")).toBe(false);
  });

  test("breached passwords are refused in production and only warned about elsewhere", () => {
    const prod = judgePassword("12345678", { username: "alice" }, "refuse");
    expect(prod.refusals).toEqual([expect.stringContaining("most common passwords")]);
    const dev = judgePassword("12345678", { username: "alice" }, "warn");
    expect(dev.refusals).toEqual([]);
    expect(dev.warnings).toEqual([expect.stringContaining("most common passwords")]);
  });

  test("the username or the email's name inside the password, and under 8 characters, are refused everywhere", () => {
    expect(judgePassword("Alice2026!", { username: "alice" }, "warn").refusals).toEqual([
      "must not contain the username",
    ]);
    expect(
      judgePassword("xx-smith-2026", { username: "alice", email: "j.smith@example.com" }, "warn").refusals,
    ).toEqual([]);
    expect(
      judgePassword("x-j.smith-2026", { username: "alice", email: "j.smith@example.com" }, "warn").refusals,
    ).toEqual(["must not contain the email address's name (before the @)"]);
    expect(judgePassword("short", { username: "alice" }, "warn").refusals).toEqual([
      "must be at least 8 characters",
    ]);
    // Two-letter names would refuse half of all passwords: too short to count.
    expect(judgePassword("long-enough-pass", { username: "al", email: "a@x.io" }, "refuse").refusals).toEqual(
      [],
    );
    expect(judgePassword("secure123", { username: "alice", email: "alice@example.com" }, "refuse")).toEqual({
      refusals: [],
      warnings: [],
    });
  });
});
