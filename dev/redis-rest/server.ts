/**
 * An Upstash-REST-compatible bridge in front of a real Redis, for development and CI: `@upstash/redis`
 * and `@upstash/ratelimit` (Lua scripts included) talk to it exactly as to Upstash.
 *
 * Speaks what @upstash/redis 1.x sends: POST `/` with one command as a JSON array, POST `/pipeline`
 * and `/multi-exec` with an array of commands, `Authorization: Bearer <token>`, and
 * `Upstash-Encoding: base64` (every string in the result base64-encoded, in nested arrays too, except
 * a bare top-level "OK", which the client leaves alone). Answers `{"result": …}` / `{"error": "…"}`
 * (400 on a Redis error, 401 on a bad token, 503 when Redis is unreachable); pipelines and
 * transactions answer 200 with one `{result}` or `{error}` per command.
 *
 * Not supported: the path-style GET API (`/set/foo/bar`), `?_token=`, commands that hold or change
 * a connection's state (blocking pops, SUBSCRIBE, MONITOR, SELECT, WATCH, MULTI/EXEC sent one by one),
 * streaming (SSE) and read-your-writes sync tokens (one Redis needs none).
 *
 * `bun run redis-rest:dev` (REDIS_URL, default redis://127.0.0.1:6379; REDIS_REST_PORT, default 8079;
 * UPSTASH_REDIS_REST_TOKEN, else a development token printed at start).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { type Reply, RespPool } from "./resp.ts";

export interface RedisRestOptions {
  /** 0 picks a free port. Default 8079. */
  port?: number;
  hostname?: string;
  /** Default redis://127.0.0.1:6379 (a password and a /db number in the URL are honoured). */
  redisUrl?: string;
  token: string;
  /** Request bodies above this are refused with 413. Default 8 MiB. */
  maxBodyBytes?: number;
  /** Connect and per-command timeout towards Redis. Default 5 s. */
  redisTimeoutMs?: number;
}

export interface RedisRest {
  url: string;
  stop(): Promise<void>;
}

export const DEV_TOKEN = "logflow-dev-redis-rest-token";

/** Commands that block or change the state of a (shared) connection: refused. */
const REFUSED = new Set([
  "subscribe",
  "psubscribe",
  "ssubscribe",
  "unsubscribe",
  "punsubscribe",
  "sunsubscribe",
  "monitor",
  "select",
  "swapdb",
  "watch",
  "unwatch",
  "multi",
  "exec",
  "discard",
  "quit",
  "reset",
  "hello",
  "auth",
  "client",
  "blpop",
  "brpop",
  "blmove",
  "brpoplpush",
  "blmpop",
  "bzpopmin",
  "bzpopmax",
  "bzmpop",
  "wait",
  "waitaof",
  "shutdown",
  "debug",
  "sync",
  "psync",
  "replicaof",
  "slaveof",
]);

/** Script flags Redis 7 knows. Upstash's scripts also carry its own (`allow-key-locking`), which Redis refuses. */
const REDIS_SCRIPT_FLAGS = new Set([
  "no-writes",
  "allow-oom",
  "allow-stale",
  "no-cluster",
  "allow-cross-slot-keys",
]);

const sha1 = (s: string | Buffer) => createHash("sha1").update(s).digest("hex");

class BadRequest extends Error {}

type Arg = string | Buffer;

/**
 * Rewrites scripts for Redis and remembers the hashes: clients send EVALSHA with the hash of the
 * script as *they* wrote it, so that hash is mapped to the one Redis knows for the rewritten text.
 */
class Scripts {
  private readonly toRedis = new Map<string, string>();

  rewrite(script: string): string {
    const m = /^#!(\S+)([^\n]*)/.exec(script);
    if (!m) return script;
    const flagsMatch = /\bflags=(\S*)/.exec(m[2] ?? "");
    if (!flagsMatch) return script;
    const kept = (flagsMatch[1] ?? "").split(",").filter((f) => REDIS_SCRIPT_FLAGS.has(f));
    const first = `#!${m[1]}${kept.length ? ` flags=${kept.join(",")}` : ""}`;
    return first + script.slice(m[0].length);
  }

  /** The command to send to Redis instead, or the same one. */
  translate(args: Arg[]): Arg[] {
    const name = String(args[0]).toLowerCase();
    if ((name === "eval" || name === "eval_ro") && args.length > 1) {
      const original = String(args[1]);
      const rewritten = this.rewrite(original);
      if (rewritten !== original) {
        this.toRedis.set(sha1(original), sha1(rewritten));
        return [args[0] as Arg, rewritten, ...args.slice(2)];
      }
      return args;
    }
    if ((name === "evalsha" || name === "evalsha_ro") && args.length > 1) {
      const mapped = this.toRedis.get(String(args[1]).toLowerCase());
      return mapped ? [args[0] as Arg, mapped, ...args.slice(2)] : args;
    }
    if (name === "script" && args.length > 2) {
      const sub = String(args[1]).toLowerCase();
      if (sub === "load") {
        const original = String(args[2]);
        const rewritten = this.rewrite(original);
        if (rewritten !== original) this.toRedis.set(sha1(original), sha1(rewritten));
        return [args[0] as Arg, args[1] as Arg, rewritten];
      }
      if (sub === "exists") {
        return [
          args[0] as Arg,
          args[1] as Arg,
          ...args.slice(2).map((h) => this.toRedis.get(String(h).toLowerCase()) ?? h),
        ];
      }
    }
    return args;
  }

  /** SCRIPT LOAD answers the hash of the script the client sent, as Upstash does. */
  fixResult(args: Arg[], reply: Reply): Reply {
    const name = String(args[0]).toLowerCase();
    if (name === "script" && String(args[1]).toLowerCase() === "load" && reply.t === "bulk" && reply.v) {
      return { t: "bulk", v: Buffer.from(sha1(String(args[2]))) };
    }
    return reply;
  }
}

function parseCommand(value: unknown): Arg[] {
  if (!Array.isArray(value) || value.length === 0)
    throw new BadRequest("ERR a command is a non-empty JSON array");
  return value.map((v) => {
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    throw new BadRequest("ERR command arguments must be strings, numbers or booleans");
  });
}

function checkAllowed(args: Arg[]): void {
  const name = String(args[0]).toLowerCase();
  if (REFUSED.has(name)) throw new BadRequest(`ERR '${name}' is not supported by the REST bridge`);
}

/** A reply as JSON: strings base64-encoded (everywhere) when asked, except a bare top-level "OK". */
function toJson(r: Reply, base64: boolean, top: boolean): unknown {
  switch (r.t) {
    case "simple":
      if (!base64 || (top && r.v === "OK")) return r.v;
      return Buffer.from(r.v, "utf8").toString("base64");
    case "error":
      // Only nested errors get here (e.g. a Lua table holding one): shown as their message.
      return base64 ? Buffer.from(r.v, "utf8").toString("base64") : r.v;
    case "int":
      return r.v;
    case "bulk":
      if (r.v === null) return null;
      return base64 ? r.v.toString("base64") : r.v.toString("utf8");
    case "array":
      return r.v === null ? null : r.v.map((x) => toJson(x, base64, false));
  }
}

const entry = (r: Reply, base64: boolean) =>
  r.t === "error" ? { error: r.v } : { result: toJson(r, base64, true) };

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

function tokenMatches(header: string | null, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? "");
  if (!m?.[1]) return false;
  // Compare digests: equal length, and no early exit revealing a prefix.
  return timingSafeEqual(
    createHash("sha256").update(m[1]).digest(),
    createHash("sha256").update(token).digest(),
  );
}

export function startRedisRest(opts: RedisRestOptions): RedisRest {
  const maxBody = opts.maxBodyBytes ?? 8 * 1024 * 1024;
  const pool = new RespPool(opts.redisUrl ?? "redis://127.0.0.1:6379", 4, opts.redisTimeoutMs ?? 5_000);
  const scripts = new Scripts();

  async function handle(req: Request): Promise<Response> {
    if (!tokenMatches(req.headers.get("authorization"), opts.token))
      return json({ error: "Unauthorized" }, 401);
    if (req.method !== "POST") return json({ error: "ERR only POST is supported by the REST bridge" }, 405);
    const length = Number(req.headers.get("content-length") ?? 0);
    if (length > maxBody) return json({ error: `ERR request body over ${maxBody} bytes` }, 413);
    const raw = await req.arrayBuffer();
    if (raw.byteLength > maxBody) return json({ error: `ERR request body over ${maxBody} bytes` }, 413);
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder().decode(raw));
    } catch {
      return json({ error: "ERR the body is not JSON" }, 400);
    }
    const base64 = (req.headers.get("upstash-encoding") ?? "").toLowerCase() === "base64";
    const path = new URL(req.url).pathname.replace(/\/+$/, "") || "/";
    try {
      if (path === "/") {
        const cmd = parseCommand(body);
        checkAllowed(cmd);
        const [reply] = await pool.send([scripts.translate(cmd)]);
        if (!reply) throw new Error("no reply");
        const fixed = scripts.fixResult(cmd, reply);
        return json(entry(fixed, base64), fixed.t === "error" ? 400 : 200);
      }
      if (path === "/pipeline" || path === "/multi-exec") {
        if (!Array.isArray(body) || body.length === 0) {
          throw new BadRequest("ERR a pipeline is a non-empty JSON array of commands");
        }
        const cmds = body.map(parseCommand);
        for (const c of cmds) checkAllowed(c);
        const sent = cmds.map((c) => scripts.translate(c));
        if (path === "/pipeline") {
          const replies = await pool.send(sent);
          return json(replies.map((r, i) => entry(scripts.fixResult(cmds[i] as Arg[], r), base64)));
        }
        const replies = await pool.send([["MULTI"], ...sent, ["EXEC"]]);
        const exec = replies[replies.length - 1];
        if (!exec || exec.t === "error") return json({ error: exec?.v ?? "ERR transaction failed" }, 400);
        if (exec.t !== "array" || exec.v === null) return json({ error: "ERR transaction aborted" }, 400);
        return json(exec.v.map((r, i) => entry(scripts.fixResult(cmds[i] as Arg[], r), base64)));
      }
      return json({ error: `ERR unknown endpoint ${path}` }, 404);
    } catch (err) {
      if (err instanceof BadRequest) return json({ error: err.message }, 400);
      return json({ error: `ERR Redis unavailable: ${(err as Error).message}` }, 503);
    }
  }

  const server = Bun.serve({
    port: opts.port ?? 8079,
    hostname: opts.hostname ?? "127.0.0.1",
    maxRequestBodySize: maxBody + 1,
    fetch: handle,
    error: () => json({ error: "ERR internal error" }, 500),
  });
  return {
    url: `http://${server.hostname}:${server.port}`,
    async stop() {
      await server.stop(true);
      pool.close();
    },
  };
}

if (import.meta.main) {
  const fromEnv = process.env.UPSTASH_REDIS_REST_TOKEN;
  const token = fromEnv || DEV_TOKEN;
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const rest = startRedisRest({
    port: Number(process.env.REDIS_REST_PORT ?? 8079),
    hostname: process.env.REDIS_REST_HOST ?? "127.0.0.1",
    redisUrl,
    token,
  });
  const redisShown = new URL(redisUrl);
  redisShown.password = redisShown.password ? "***" : "";
  console.log(`redis-rest: ${rest.url} → ${redisShown}`);
  console.log(
    fromEnv
      ? "token: UPSTASH_REDIS_REST_TOKEN"
      : `token (development default; set UPSTASH_REDIS_REST_TOKEN to choose one): ${DEV_TOKEN}`,
  );
  console.log(`use: UPSTASH_REDIS_REST_URL=${rest.url} UPSTASH_REDIS_REST_TOKEN=<token>`);
  const shutdown = () => void rest.stop().then(() => process.exit(0));
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}
