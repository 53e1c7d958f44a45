import type { Redis } from "@upstash/redis";
import type { Cache } from "../../ports/cache.ts";
import type { StoreHealth } from "../../ports/log-store.ts";
import { escapeGlob, scanKeys } from "./client.ts";

export interface UpstashCacheOptions {
  /** Every key is stored under this prefix. Default `logflow:cache:`; tests inject a random one. */
  prefix?: string;
  /** Give up on Redis after this many ms (default 500): a miss, or a skipped write. */
  timeoutMs?: number;
  /** Told when an operation failed open, for a log line. */
  onError?: (op: string, err: unknown) => void;
}

class Timeout extends Error {}

/**
 * The Cache port on Upstash Redis (REST, so it works on Workers too). Values are JSON under
 * `<prefix><key>` with `SET … EX ttl`. Fails open: an unreachable or slow Redis is a miss for `get`,
 * a skipped write for `set`, and `health` says degraded; no call throws because of Redis.
 * `clear` patterns use `*` and `?` only (as the memory cache), always below the prefix.
 */
export class UpstashCache implements Cache {
  private readonly prefix: string;
  private readonly timeoutMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly opts: UpstashCacheOptions = {},
  ) {
    this.prefix = opts.prefix ?? "logflow:cache:";
    this.timeoutMs = opts.timeoutMs ?? 500;
  }

  private async bounded<T>(op: string, work: Promise<T>, fallback: T, ms = this.timeoutMs): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        work,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Timeout(`no answer within ${ms} ms`)), ms);
        }),
      ]);
    } catch (err) {
      work.catch(() => {}); // a late rejection of the abandoned call is expected
      this.opts.onError?.(op, err);
      return fallback;
    } finally {
      clearTimeout(timer);
    }
  }

  async get<T>(key: string): Promise<T | undefined> {
    const raw = await this.bounded("get", this.redis.get<string>(this.prefix + key), null);
    if (raw === null || raw === undefined) return undefined;
    try {
      return JSON.parse(raw) as T;
    } catch {
      return undefined; // not ours (or truncated): a miss
    }
  }

  async set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    const json = JSON.stringify(value);
    if (json === undefined) return;
    const ex = Math.max(1, Math.ceil(ttlSeconds));
    await this.bounded("set", this.redis.set(this.prefix + key, json, { ex }), null);
  }

  /**
   * The pattern is matched below the prefix: the prefix is escaped and put in front, and every glob
   * character but `*` and `?` is escaped, so no pattern (`*`, `../*`, `[a-z]*`) reaches another key.
   * Keys SCAN returns are checked against the prefix again before DEL. Stops quietly (returning the
   * count so far) when Redis fails.
   */
  async clear(pattern: string): Promise<number> {
    const match = escapeGlob(this.prefix) + pattern.replace(/[[\]\\]/g, "\\$&");
    let deleted = 0;
    await this.bounded(
      "clear",
      (async () => {
        for await (const keys of scanKeys(this.redis, match)) {
          const mine = keys.filter((k) => k.startsWith(this.prefix));
          if (mine.length) deleted += await this.redis.del(...mine);
        }
      })(),
      undefined,
      this.timeoutMs * 20,
    );
    return deleted;
  }

  async keyCount(): Promise<number> {
    return this.bounded(
      "keyCount",
      (async () => {
        let n = 0;
        for await (const keys of scanKeys(this.redis, `${escapeGlob(this.prefix)}*`)) n += keys.length;
        return n;
      })(),
      0,
      this.timeoutMs * 20,
    );
  }

  async health(): Promise<StoreHealth> {
    const started = performance.now();
    let failure = "no answer";
    const pong = await this.bounded("health", this.redis.ping(), "", this.timeoutMs).catch(() => "");
    if (pong === "PONG") {
      return { status: "healthy", detail: `upstash redis, ${Math.round(performance.now() - started)} ms` };
    }
    if (pong) failure = `unexpected answer ${JSON.stringify(pong).slice(0, 40)}`;
    return { status: "degraded", detail: `redis unreachable (${failure}); requests are served uncached` };
  }
}
