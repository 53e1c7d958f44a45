import { afterAll, describe, expect, test } from "bun:test";
import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis";
import { redisReachable } from "../../tests/helpers/engines.ts";
import { command, startTestBridge, type TestBridge } from "../../tests/helpers/redis-rest.ts";
import { integrationTimeouts } from "../../tests/helpers/timeouts.ts";

integrationTimeouts();

const available = await redisReachable();
const bridge: TestBridge | undefined = available ? startTestBridge() : undefined;
afterAll(() => bridge?.stop());

const b = () => {
  if (!bridge) throw new Error("no bridge");
  return bridge;
};
const key = (name: string) => `${b().prefix}${name}`;
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

describe.skipIf(!available)("redis-rest bridge (Upstash REST protocol over a real Redis)", () => {
  test("a single command answers {result} with Redis's types: OK, bulk, integer, nil, array", async () => {
    const { url, token } = b();
    expect(await command(url, token, ["SET", key("s"), "v"])).toEqual({
      status: 200,
      body: { result: "OK" },
    });
    expect((await command(url, token, ["GET", key("s")])).body).toEqual({ result: "v" });
    expect((await command(url, token, ["INCRBY", key("n"), 5])).body).toEqual({ result: 5 });
    expect((await command(url, token, ["GET", key("missing")])).body).toEqual({ result: null });
    await command(url, token, ["RPUSH", key("l"), "a", "b"]);
    expect((await command(url, token, ["LRANGE", key("l"), 0, -1])).body).toEqual({ result: ["a", "b"] });
    expect((await command(url, token, ["MGET", key("s"), key("missing")])).body).toEqual({
      result: ["v", null],
    });
  });

  test("a Redis error is a 400 {error}; a wrong or missing token is a 401", async () => {
    const { url, token } = b();
    const wrongType = await command(url, token, ["INCR", key("l")]);
    expect(wrongType.status).toBe(400);
    expect(String((wrongType.body as { error: string }).error)).toStartWith("WRONGTYPE");
    expect((await command(url, "wrong", ["PING"])).status).toBe(401);
    const none = await fetch(url, { method: "POST", body: '["PING"]' });
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ error: "Unauthorized" });
    expect((await command(url, token, ["SUBSCRIBE", "x"])).status).toBe(400);
  });

  test("base64 encoding: every string encoded (nested too) except a bare OK; numbers and nil as they are", async () => {
    const { url, token } = b();
    const unicode = "héllo ✓ 日本 🚀";
    const binaryish = "\u0000\u0001\u00ff\r\n";
    expect((await command(url, token, ["SET", key("u"), unicode], { base64: true })).body).toEqual({
      result: "OK",
    });
    await command(url, token, ["SET", key("bin"), binaryish]);
    expect((await command(url, token, ["GET", key("u")], { base64: true })).body).toEqual({
      result: b64(unicode),
    });
    expect(
      (await command(url, token, ["MGET", key("u"), key("bin"), key("missing")], { base64: true })).body,
    ).toEqual({
      result: [b64(unicode), b64(binaryish), null],
    });
    expect((await command(url, token, ["PING"], { base64: true })).body).toEqual({ result: b64("PONG") });
    expect((await command(url, token, ["STRLEN", key("u")], { base64: true })).body).toEqual({
      result: Buffer.byteLength(unicode),
    });
    // Through the client (which asks for base64 by default) the strings come back intact.
    const redis = new Redis({ url, token, automaticDeserialization: false, enableTelemetry: false });
    expect(await redis.get<string>(key("u"))).toBe(unicode);
    expect(await redis.get<string>(key("bin"))).toBe(binaryish);
  });

  test("/pipeline answers one {result} or {error} per command, with 200", async () => {
    const { url, token } = b();
    const res = await command(
      url,
      token,
      [
        ["SET", key("p"), "1"],
        ["INCR", key("p")],
        ["INCR", key("l")],
        ["GET", key("p")],
      ],
      { path: "/pipeline", base64: true },
    );
    expect(res.status).toBe(200);
    const body = res.body as { result?: unknown; error?: string }[];
    expect(body[0]).toEqual({ result: "OK" });
    expect(body[1]).toEqual({ result: 2 });
    expect(body[2]?.error).toStartWith("WRONGTYPE");
    expect(body[3]).toEqual({ result: b64("2") });
  });

  test("/multi-exec runs the commands as one transaction; a queueing error aborts it with 400", async () => {
    const { url, token } = b();
    const redis = new Redis({ url, token, enableTelemetry: false });
    expect(await redis.multi().set(key("m"), "1").incr(key("m")).get(key("m")).exec()).toEqual(["OK", 2, 2]);
    const aborted = await command(url, token, [["SET", key("m2"), "1"], ["SET"]], { path: "/multi-exec" });
    expect(aborted.status).toBe(400);
    expect(String((aborted.body as { error: string }).error)).toStartWith("EXECABORT");
    expect((await command(url, token, ["EXISTS", key("m2")])).body).toEqual({ result: 0 });
  });

  test("EVAL, SCRIPT LOAD and EVALSHA: the hash is the client's, Upstash-only shebang flags are dropped", async () => {
    const { url, token } = b();
    const redis = new Redis({ url, token, enableTelemetry: false });
    const script =
      "#!lua flags=allow-key-locking,no-writes\nreturn {KEYS[1], tonumber(ARGV[1]) + 1, false, {'x'}}";
    const sha = await redis.scriptLoad(script);
    expect(sha).toBe(new Bun.CryptoHasher("sha1").update(script).digest("hex"));
    expect(await redis.evalsha(sha, [key("k")], [41])).toEqual([key("k"), 42, null, ["x"]]);
    expect(await redis.scriptExists(sha)).toEqual([1]);
  });

  test("@upstash/ratelimit's Lua scripts run: slidingWindow limits at the boundary", async () => {
    const { url, token } = b();
    const redis = new Redis({ url, token, enableTelemetry: false });
    const rl = new Ratelimit({ redis, limiter: Ratelimit.slidingWindow(3, "60 s"), prefix: key("rl") });
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await rl.limit("id"));
    expect(results.map((r) => [r.success, r.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ]);
  });

  test("bodies over the limit are refused with 413", async () => {
    const { token } = b();
    const { startRedisRest } = await import("./server.ts");
    const small = startRedisRest({ port: 0, token, maxBodyBytes: 1024 });
    try {
      const res = await command(small.url, token, ["SET", key("big"), "x".repeat(2048)]);
      expect(res.status).toBe(413);
    } finally {
      await small.stop();
    }
  });
});
