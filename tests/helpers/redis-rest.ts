import { type RedisRest, startRedisRest } from "../../dev/redis-rest/server.ts";
import { REDIS_TEST_URL } from "./engines.ts";

export interface TestBridge extends RedisRest {
  token: string;
  /** A key prefix no other run uses; everything under it is deleted by stop(). */
  prefix: string;
}

/** The REST bridge in-process on a free port, in front of the test Redis. */
export function startTestBridge(redisUrl = REDIS_TEST_URL): TestBridge {
  const token = `test-${crypto.randomUUID()}`;
  const rest = startRedisRest({ port: 0, redisUrl, token });
  const prefix = `logflow-test:${crypto.randomUUID().slice(0, 8)}:`;
  return {
    ...rest,
    token,
    prefix,
    async stop() {
      try {
        await command(rest.url, token, ["EVAL", CLEANUP, "0", `${prefix}*`]);
      } finally {
        await rest.stop();
      }
    },
  };
}

const CLEANUP = `local c = "0" local n = 0
repeat local r = redis.call("SCAN", c, "MATCH", ARGV[1], "COUNT", 1000) c = r[1]
for _, k in ipairs(r[2]) do redis.call("DEL", k) n = n + 1 end until c == "0" return n`;

/** One raw REST call, as the Upstash client would send it; returns status and parsed body. */
export async function command(
  url: string,
  token: string,
  body: unknown,
  opts: { path?: string; base64?: boolean } = {},
): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${token}`,
    "content-type": "application/json",
  };
  if (opts.base64) headers["Upstash-Encoding"] = "base64";
  const res = await fetch(`${url}${opts.path ?? ""}`, {
    method: "POST",
    headers,
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}
