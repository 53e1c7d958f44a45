import type { Cache } from "../../ports/cache.ts";

/** Glob (`*`, `?`) to a whole-string regular expression; everything else literal. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

/**
 * The embedded profile's cache: a Map with expiry times, bounded in entries (oldest inserted evicted
 * first), so a flood of distinct parameters cannot grow it without limit.
 */
export class MemoryCache implements Cache {
  private readonly entries = new Map<string, { value: unknown; expires: number }>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get<T>(key: string): Promise<T | undefined> {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value as T;
  }

  async set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    this.entries.delete(key);
    this.entries.set(key, { value, expires: this.now() + ttlSeconds * 1000 });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  async clear(pattern: string): Promise<number> {
    const re = globToRegExp(pattern);
    let n = 0;
    for (const key of [...this.entries.keys()]) {
      if (re.test(key)) {
        this.entries.delete(key);
        n++;
      }
    }
    return n;
  }

  async keyCount(): Promise<number> {
    const now = this.now();
    for (const [k, e] of this.entries) if (e.expires <= now) this.entries.delete(k);
    return this.entries.size;
  }

  async health() {
    return { status: "healthy" as const, detail: `in-process, ${this.entries.size} keys` };
  }
}
