import { createRng, type Seed } from "./prng.ts";
import { sleep } from "./sender.ts";
import { createTraffic, SERVICES, type ServiceName, type TrafficEvent } from "./traffic.ts";

/** Options of `startDemo`. */
export interface DemoOptions {
  /**
   * Where batches go. Events are in the ingest input shape (like a POST /api/v1/ingest body), so the
   * caller validates them with `parseLogEvent` before putting them on the queue. A rejection is reported
   * through `onError` and the demo carries on.
   */
  publish: (events: TrafficEvent[]) => Promise<unknown>;
  /** Stops the demo; the returned promise resolves soon after. */
  signal: AbortSignal;
  /** Average events per second. Default 20. */
  rate?: number;
  /** How often a batch is published. Default 250 ms. */
  intervalMs?: number;
  /** PRNG seed. Default: the start time, so two servers do not share correlation ids. */
  seed?: Seed;
  /** Average time between error bursts on a random service; 0 disables them. Default 4 minutes. */
  burstEveryMs?: number;
  /** How long a burst lasts. Default 45 s. */
  burstDurationMs?: number;
  /** Average time between traffic spikes; 0 (the default) disables them. */
  spikeEveryMs?: number;
  /** How long a spike lasts. Default 60 s. */
  spikeDurationMs?: number;
  /** Rate multiplier of a spike. Default 8. */
  spikeMultiplier?: number;
  /** Told when a burst or spike starts, so the server log explains the alerts that follow. */
  onEvent?: (
    event:
      | { kind: "burst"; service: ServiceName; durationMs: number }
      | { kind: "spike"; multiplier: number; durationMs: number },
  ) => void;
  /** Told about a failed publish. Default: console.warn. */
  onError?: (error: unknown) => void;
  /** Time source (epoch ms). Default `Date.now`. */
  clock?: () => number;
  /** Waits between batches (tests move a virtual clock); default a timer that the signal cuts short. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** What a demo run published. */
export interface DemoStats {
  published: number;
  batches: number;
  failedBatches: number;
  bursts: number;
  spikes: number;
}

/**
 * Run the traffic generator in-process until `signal` aborts: a steady stream published every
 * `intervalMs`, with an error burst on a random service every few minutes so that alert rules have
 * something to fire on. Resolves with what was published; never rejects once started.
 */
export function startDemo(options: DemoOptions): Promise<DemoStats> {
  const clock = options.clock ?? Date.now;
  const wait = options.sleep ?? sleep;
  const rate = options.rate ?? 20;
  const intervalMs = options.intervalMs ?? 250;
  if (!(intervalMs > 0)) throw new RangeError(`intervalMs must be positive, got ${intervalMs}`);
  const start = clock();
  const seed = options.seed ?? start;
  const traffic = createTraffic({ seed, rate, start, clock });
  // A separate stream for scheduling, so bursts do not change the traffic that surrounds them.
  const rng = createRng(`${seed}/demo`);
  const burstEvery = options.burstEveryMs ?? 4 * 60_000;
  const burstDuration = options.burstDurationMs ?? 45_000;
  const spikeEvery = options.spikeEveryMs ?? 0;
  const spikeDuration = options.spikeDurationMs ?? 60_000;
  const spikeMultiplier = options.spikeMultiplier ?? 8;
  const onError = options.onError ?? ((err: unknown) => console.warn("demo traffic: publish failed:", err));
  // Jittered (0.5–1.5× the average) so bursts do not line up with alert evaluation windows.
  const after = (every: number): number =>
    every > 0 ? every * (0.5 + rng.next()) : Number.POSITIVE_INFINITY;
  let nextBurst = start + after(burstEvery);
  let nextSpike = start + after(spikeEvery);
  const stats: DemoStats = { published: 0, batches: 0, failedBatches: 0, bursts: 0, spikes: 0 };
  // After a long stall (a laptop asleep), publish only the last few seconds rather than a flood.
  const maxBacklog = Math.ceil(
    (rate * Math.max(5_000, 4 * intervalMs) * Math.max(1, spikeMultiplier)) / 1000,
  );

  const aborted = new Promise<void>((resolve) => {
    if (options.signal.aborted) resolve();
    options.signal.addEventListener("abort", () => resolve(), { once: true });
  });

  const loop = async (): Promise<DemoStats> => {
    while (!options.signal.aborted) {
      const now = clock();
      if (now >= nextBurst) {
        const service = rng.pick(SERVICES);
        traffic.errorBurst({ service, startMs: now, durationMs: burstDuration });
        stats.bursts++;
        options.onEvent?.({ kind: "burst", service, durationMs: burstDuration });
        nextBurst = now + burstDuration + after(burstEvery);
      }
      if (now >= nextSpike) {
        traffic.spike({ multiplier: spikeMultiplier, startMs: now, durationMs: spikeDuration });
        stats.spikes++;
        options.onEvent?.({ kind: "spike", multiplier: spikeMultiplier, durationMs: spikeDuration });
        nextSpike = now + spikeDuration + after(spikeEvery);
      }
      const events = traffic.next(now).slice(-maxBacklog);
      if (events.length > 0) {
        try {
          // A publish that hangs must not keep the server from shutting down.
          await Promise.race([options.publish(events), aborted]);
          stats.batches++;
          stats.published += events.length;
        } catch (err) {
          stats.failedBatches++;
          onError(err);
        }
      }
      await wait(intervalMs, options.signal).catch(() => {});
    }
    return stats;
  };
  return loop();
}
