import { afterEach, describe, expect, setSystemTime, test } from "bun:test";
import { TokenService } from "./tokens.ts";

afterEach(() => {
  setSystemTime();
});

describe("TokenService", () => {
  const user = { id: 7, username: "ann", isAdmin: false, tokenVersion: 3 };

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
    const [header, payload, signature] = good.split(".") as [string, string, string];
    // One bit of the signature flipped through its bytes: a different token whatever the signature was.
    const mac = Buffer.from(signature, "base64url");
    mac[0] = (mac[0] as number) ^ 1;
    const tampered = `${header}.${payload}.${mac.toString("base64url")}`;
    expect(tampered).not.toBe(good);
    expect(await tokens.verify(tampered)).toBeNull();
    // The genuine signature on claims raised to admin.
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    const raised = Buffer.from(JSON.stringify({ ...claims, admin: true })).toString("base64url");
    expect(await tokens.verify(`${header}.${raised}.${signature}`)).toBeNull();
  });
});
