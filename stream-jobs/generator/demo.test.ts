import { describe, expect, test } from "bun:test";
import { parseLogEvent } from "../../core/log-event.ts";
import { integrationTimeouts } from "../../tests/helpers/timeouts.ts";
import { startDemo } from "./demo.ts";
import type { TrafficEvent } from "./traffic.ts";

// CPU-heavy (many random cases): a loaded CI machine runs it several times slower.
integrationTimeouts();

/**
 * Virtual time for a demo run: each wait between batches moves the clock on at once, and the run is
 * stopped once `runMs` have passed, so what is published depends on the schedule, not on how busy the
 * machine is.
 */
function virtualRun(runMs: number) {
  const stop = new AbortController();
  const start = Date.now();
  let now = start;
  return {
    signal: stop.signal,
    start,
    clock: () => now,
    sleep: async (ms: number) => {
      now += ms;
      if (now - start >= runMs) stop.abort();
    },
  };
}

describe("startDemo", () => {
  test("publishes valid batches at the configured rate until aborted", async () => {
    const run = virtualRun(10_000);
    const batches: TrafficEvent[][] = [];
    const times: number[] = [];
    const stats = await startDemo({
      rate: 400,
      intervalMs: 50,
      seed: 1,
      ...run,
      publish: async (events) => {
        batches.push(events);
        times.push(run.clock());
      },
    });
    const published = batches.flat();
    expect(stats.published).toBe(published.length);
    expect(stats.batches).toBe(batches.length);
    // 400 events/s over 10 s, published on the 50 ms ticks that have any.
    expect(published.length).toBeWithin(3_400, 4_600);
    expect(new Set(times.map((t) => (t - run.start) % 50))).toEqual(new Set([0]));
    for (const event of published) expect(parseLogEvent(event, run.clock()).ok).toBe(true);
    // Each tick publishes what was written since the tick before, nothing written later.
    for (const [i, batch] of batches.entries()) {
      const stamps = batch.map((e) => Date.parse(e.timestamp));
      expect(Math.max(...stamps)).toBeLessThanOrEqual(times[i] as number);
      // (Timestamps are whole milliseconds: a line written just after a tick can read as that tick.)
      if (i > 0) expect(Math.min(...stamps)).toBeGreaterThanOrEqual(times[i - 1] as number);
    }
  });

  test("runs error bursts on random services and reports them", async () => {
    const run = virtualRun(10_000);
    const bursts: { service: string; at: number }[] = [];
    const published: TrafficEvent[] = [];
    const stats = await startDemo({
      rate: 500,
      intervalMs: 25,
      seed: 2,
      burstEveryMs: 1_000,
      burstDurationMs: 2_000,
      ...run,
      publish: async (events) => void published.push(...events),
      onEvent: (e) => {
        if (e.kind === "burst") bursts.push({ service: e.service, at: run.clock() });
      },
    });
    // A burst every 0.5–1.5 s after the one before ended: three or four in 10 s.
    expect(stats.bursts).toBeWithin(3, 5);
    expect(bursts).toHaveLength(stats.bursts);
    const share = (from: number, to: number) => {
      const hit = published.filter((e) => {
        const t = Date.parse(e.timestamp);
        return e.service === bursts[0]?.service && t >= from && t < to;
      });
      return hit.filter((e) => e.level === "ERROR" || e.level === "CRITICAL").length / hit.length;
    };
    const first = bursts[0]?.at ?? 0;
    // While the burst lasts its service logs errors several times as often as before it.
    const during = share(first, first + 2_000);
    expect(during).toBeGreaterThan(0.15);
    expect(share(run.start, first)).toBeLessThan(during / 3);
  });

  test("a failing publish is reported and the demo carries on", async () => {
    const failures: unknown[] = [];
    let calls = 0;
    const stats = await startDemo({
      rate: 400,
      intervalMs: 25,
      ...virtualRun(1_000),
      publish: async () => {
        if (++calls % 2 === 1) throw new Error("queue full");
      },
      onError: (err) => failures.push(err),
    });
    // Every other publish fails; the ones between go through.
    expect(calls).toBeGreaterThan(10);
    expect(stats.failedBatches).toBe(Math.ceil(calls / 2));
    expect(stats.batches).toBe(Math.floor(calls / 2));
    expect(failures).toHaveLength(stats.failedBatches);
  });

  test("a publish that hangs does not keep it from stopping", async () => {
    const stop = new AbortController();
    const running = startDemo({
      rate: 400,
      intervalMs: 25,
      signal: stop.signal,
      publish: () => new Promise(() => {}),
    });
    await Bun.sleep(200);
    stop.abort();
    const stats = await Promise.race([running, Bun.sleep(1_000).then(() => "hung" as const)]);
    expect(stats).not.toBe("hung");
  });

  test("an already aborted signal publishes nothing", async () => {
    const published: unknown[] = [];
    const stats = await startDemo({
      signal: AbortSignal.abort(),
      publish: async (e) => void published.push(...e),
    });
    expect(stats.published).toBe(0);
    expect(published).toEqual([]);
  });
});
