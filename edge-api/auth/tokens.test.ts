import { afterEach, describe, expect, setSystemTime, test } from "bun:test";
import { TokenService } from "./tokens.ts";

afterEach(() => {
  setSystemTime();
});

describe("TokenService", () => {
  const user = { id: 7, username: "ann", isAdmin: false };

  test("a verified token is remembered only until its own expiry", async () => {
    const start = new Date("2026-11-27T12:00:00Z");
    setSystemTime(start);
    const tokens = new TokenService("s".repeat(32), 1);
    const { access_token } = await tokens.issue(user);
    expect(await tokens.verify(access_token)).toEqual(user);
    expect(await tokens.verify(access_token)).toEqual(user); // from memory
    setSystemTime(new Date(start.getTime() + 61_000));
    expect(await tokens.verify(access_token)).toBeNull();
  });

  test("a token signed with another secret is refused even after a genuine one was remembered", async () => {
    const tokens = new TokenService("s".repeat(32), 5);
    const other = new TokenService("o".repeat(32), 5);
    const good = (await tokens.issue(user)).access_token;
    expect(await tokens.verify(good)).toEqual(user);
    expect(await tokens.verify((await other.issue(user)).access_token)).toBeNull();
    const tampered = `${good.slice(0, -2)}${good.endsWith("A") ? "B" : "A"}A`;
    expect(await tokens.verify(tampered)).toBeNull();
  });
});
