/**
 * A small seedable PRNG (sfc32, seeded through splitmix32) and the random helpers the traffic generator
 * needs. Math.random and crypto are deliberately avoided: the same seed must give the same traffic,
 * ids included, so that tests and demos can be replayed.
 */

/** A seed: any number or string (strings are hashed, so `"demo"` is as good as `42`). */
export type Seed = number | string;

function hashSeed(seed: Seed): number {
  // FNV-1a over the seed's text: numbers and strings share one path, and 42 and "42" agree.
  const text = String(seed);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A deterministic random source. Every method advances the same underlying stream. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max], both ends included. */
  int(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One element, uniformly. */
  pick<T>(items: readonly T[]): T;
  /** One element, with probability proportional to its weight. */
  weighted<T>(items: readonly (readonly [T, number])[]): T;
  /** Exponential with the given mean (gaps of a Poisson process). */
  exp(mean: number): number;
  /** Log-normal around `median`: latencies have a long right tail, never a negative one. */
  logNormal(median: number, sigma: number): number;
  /** `n` lowercase hex digits. */
  hex(n: number): string;
  /** A random (version 4) UUID drawn from this stream. */
  uuid(): string;
}

/** Create a random stream from a seed. Two streams with the same seed yield the same values. */
export function createRng(seed: Seed): Rng {
  let s = hashSeed(seed);
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const u32 = (): number => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Warm-up: the first outputs of sfc32 are poorly mixed.
  for (let i = 0; i < 12; i++) u32();

  const next = (): number => u32() / 4294967296;
  const rng: Rng = {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (items) => {
      if (items.length === 0) throw new Error("pick from an empty list");
      return items[Math.floor(next() * items.length)] as (typeof items)[number];
    },
    weighted: (items) => {
      let total = 0;
      for (const [, w] of items) total += w;
      let r = next() * total;
      for (const [item, w] of items) {
        r -= w;
        if (r < 0) return item;
      }
      const last = items[items.length - 1];
      if (!last) throw new Error("weighted pick from an empty list");
      return last[0];
    },
    exp: (mean) => -Math.log(1 - next()) * mean,
    logNormal: (median, sigma) => {
      // Box–Muller; 1 - next() keeps the logarithm away from zero.
      const z = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
      return median * Math.exp(sigma * z);
    },
    hex: (n) => {
      let out = "";
      while (out.length < n) out += u32().toString(16).padStart(8, "0");
      return out.slice(0, n);
    },
    uuid: () => {
      const h = rng.hex(32);
      const variant = ((Number.parseInt(h[16] ?? "0", 16) & 0x3) | 0x8).toString(16);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
    },
  };
  return rng;
}
