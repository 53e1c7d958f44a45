import { simulateRequest } from "./flows.ts";
import { createRng, type Seed } from "./prng.ts";
import {
  createWorld,
  SERVICES,
  type ServiceName,
  type TimedEvent,
  type TrafficEvent,
} from "./request-sim.ts";

export type { Seed } from "./prng.ts";
export type { AttributeValue, ServiceName, TrafficEvent } from "./request-sim.ts";
export { SERVICES } from "./request-sim.ts";

/** An error burst: for a while, one service fails a large share of the requests that reach it. */
export interface ErrorBurstOptions {
  /** The failing service. */
  service: ServiceName;
  /** How long the burst lasts, in milliseconds. */
  durationMs: number;
  /** When it starts (epoch ms); default: the generator's current time. */
  startMs?: number;
  /**
   * Share (0–1) of the requests reaching `service` during the burst that fail there with ERROR or
   * CRITICAL lines; default 0.6. Callers upstream fail with it, as they would in production.
   */
  errorShare?: number;
}

/** A traffic spike (or, with a multiplier below 1, a drop): the event rate is multiplied for a while. */
export interface SpikeOptions {
  /** Rate multiplier, > 0: 10 means ten times the usual volume, 0.1 a 90% drop. */
  multiplier: number;
  /** How long the spike lasts, in milliseconds. */
  durationMs: number;
  /** When it starts (epoch ms); default: the generator's current time. */
  startMs?: number;
}

/** Options of `createTraffic`. */
export interface TrafficOptions {
  /** PRNG seed: the same seed and the same clock readings give the same events, ids included. Default 1. */
  seed?: Seed;
  /** Average log lines per second outside spikes. Default 20. */
  rate?: number;
  /** Simulated start (epoch ms). Default: the first time `next` or `batch` is called. */
  start?: number;
  /** Time source used when `next()` is called without a time. Default `Date.now`. */
  clock?: () => number;
  /** Error bursts planned up front (same as calling `errorBurst`). */
  errorBursts?: ErrorBurstOptions[];
  /** Spikes planned up front (same as calling `spike`). */
  spikes?: SpikeOptions[];
}

/** A running traffic simulation. */
export interface Traffic {
  /**
   * The lines written up to `nowMs` (default: the clock) that were not returned before, oldest first.
   * Calling it every 250 ms gives a live stream at the configured rate; how the calls are spaced does
   * not change which lines are produced, only when they are released.
   */
  next(nowMs?: number): TrafficEvent[];
  /**
   * Exactly `n` lines, oldest first, moving simulated time forward as far as needed (so timestamps
   * may run ahead of the wall clock when called faster than the rate).
   */
  batch(n: number): TrafficEvent[];
  /** Start an error burst (see `ErrorBurstOptions`). */
  errorBurst(burst: ErrorBurstOptions): void;
  /** Start a spike (see `SpikeOptions`). */
  spike(spike: SpikeOptions): void;
  /** The line rate in effect at time `t` (the base rate times any active spikes). */
  rateAt(t: number): number;
  /** Simulated time reached so far (epoch ms), or null before the first call. */
  readonly time: number | null;
}

interface Window {
  start: number;
  end: number;
}

interface Pending extends TimedEvent {
  seq: number;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}

/**
 * Create a seedable multi-service traffic generator. Requests arrive as a Poisson process sized so that
 * the line rate averages `rate`; each request crosses several services and writes lines a few
 * milliseconds apart, all sharing one correlation id and trace id.
 */
export function createTraffic(options: TrafficOptions = {}): Traffic {
  const rng = createRng(options.seed ?? 1);
  const world = createWorld(rng);
  const baseRate = positive("rate", options.rate ?? 20);
  const clock = options.clock ?? Date.now;
  const bursts: (Window & { service: ServiceName; share: number })[] = [];
  const spikes: (Window & { multiplier: number })[] = [];

  let start: number | null = options.start ?? null;
  let nextArrival = start ?? 0;
  let time: number | null = null;
  let seq = 0;
  let pending: Pending[] = [];
  let sorted = true;

  const current = (): number => time ?? start ?? clock();
  const ensureStarted = (t: number): void => {
    if (start === null) {
      start = t;
      nextArrival = t;
    }
  };

  const rateAt = (t: number): number => {
    let rate = baseRate;
    for (const s of spikes) if (t >= s.start && t < s.end) rate *= s.multiplier;
    return rate;
  };

  const outage = (service: ServiceName, t: number): boolean => {
    for (const b of bursts) {
      if (b.service === service && t >= b.start && t < b.end) return rng.chance(b.share);
    }
    return false;
  };

  /** Simulate every request arriving at or before `upTo`. */
  const generate = (upTo: number): void => {
    while (nextArrival <= upTo) {
      // Whole milliseconds: timestamps are ISO strings with millisecond precision anyway.
      const t0 = Math.floor(nextArrival);
      const lines = simulateRequest(rng, world, t0, outage);
      for (const line of lines) pending.push({ ...line, seq: seq++ });
      sorted = false;
      // Gap scaled by this request's line count, so lines (not requests) average `rate` per second.
      nextArrival += (rng.exp(1) * lines.length * 1000) / rateAt(t0);
    }
  };

  /** Release up to `limit` pending lines written at or before `upTo`. */
  const release = (upTo: number, limit: number): TrafficEvent[] => {
    if (!sorted) {
      pending.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
      sorted = true;
    }
    let i = 0;
    while (i < pending.length && i < limit && (pending[i] as Pending).ts <= upTo) i++;
    const out = pending.slice(0, i).map((p) => p.event);
    pending = pending.slice(i);
    return out;
  };

  const traffic: Traffic = {
    next(nowMs = clock()) {
      ensureStarted(nowMs);
      // A clock that steps back (NTP) must not re-release or reorder lines.
      const upTo = Math.max(nowMs, time ?? nowMs);
      generate(upTo);
      time = upTo;
      return release(upTo, Number.POSITIVE_INFINITY);
    },
    batch(n) {
      if (!Number.isInteger(n) || n < 0)
        throw new RangeError(`batch size must be a whole number ≥ 0, got ${n}`);
      ensureStarted(clock());
      let t = current();
      const out: TrafficEvent[] = [];
      for (;;) {
        generate(t);
        out.push(...release(t, n - out.length));
        if (out.length >= n) break;
        // Step about as far as the missing lines need at the current rate, at least 1 ms.
        t += Math.max(1, Math.ceil(((n - out.length) * 1000) / rateAt(t)));
      }
      time = t;
      return out;
    },
    errorBurst(burst) {
      if (!SERVICES.includes(burst.service)) {
        throw new RangeError(
          `unknown service ${JSON.stringify(burst.service)} (one of ${SERVICES.join(", ")})`,
        );
      }
      const share = burst.errorShare ?? 0.6;
      if (!(share >= 0 && share <= 1)) throw new RangeError(`errorShare must be within 0–1, got ${share}`);
      const from = burst.startMs ?? current();
      bursts.push({
        service: burst.service,
        share,
        start: from,
        end: from + positive("durationMs", burst.durationMs),
      });
    },
    spike(spike) {
      const from = spike.startMs ?? current();
      spikes.push({
        multiplier: positive("multiplier", spike.multiplier),
        start: from,
        end: from + positive("durationMs", spike.durationMs),
      });
    },
    rateAt,
    get time() {
      return time;
    },
  };
  for (const b of options.errorBursts ?? []) traffic.errorBurst(b);
  for (const s of options.spikes ?? []) traffic.spike(s);
  return traffic;
}
