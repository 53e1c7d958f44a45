import { describe, expect, test } from "bun:test";
import { parseLogEvent } from "../../core/log-event.ts";
import { startDemo } from "./demo.ts";
import type { TrafficEvent } from "./traffic.ts";

describe("startDemo", () => {
  test("publishes valid batches at about the configured rate until aborted", async () => {
    const stop = new AbortController();
    const batches: TrafficEvent[][] = [];
    const running = startDemo({
      rate: 400,
      intervalMs: 50,
      seed: 1,
      signal: stop.signal,
      publish: async (events) => {
        batches.push(events);
      },
    });
    await Bun.sleep(1_000);
    stop.abort();
    const stats = await running;
    const published = batches.flat();
    expect(stats.published).toBe(published.length);
    expect(stats.batches).toBe(batches.length);
    expect(batches.length).toBeGreaterThan(5);
    expect(published.length).toBeWithin(150, 800);
    const now = Date.now();
    for (const event of published) expect(parseLogEvent(event, now).ok).toBe(true);

    // Nothing is published once stopped.
    const count = batches.length;
    await Bun.sleep(150);
    expect(batches.length).toBe(count);
  });

  test("runs error bursts on random services and reports them", async () => {
    const stop = new AbortController();
    const bursts: string[] = [];
    const published: TrafficEvent[] = [];
    const running = startDemo({
      rate: 500,
      intervalMs: 25,
      seed: 2,
      burstEveryMs: 100,
      burstDurationMs: 400,
      signal: stop.signal,
      publish: async (events) => void published.push(...events),
      onEvent: (e) => {
        if (e.kind === "burst") bursts.push(e.service);
      },
    });
    await Bun.sleep(1_200);
    stop.abort();
    const stats = await running;
    expect(stats.bursts).toBeGreaterThanOrEqual(1);
    expect(bursts).toHaveLength(stats.bursts);
    const hit = published.filter((e) => e.service === bursts[0]);
    const errors = hit.filter((e) => e.level === "ERROR" || e.level === "CRITICAL");
    expect(errors.length / hit.length).toBeGreaterThan(0.1);
  });

  test("a failing publish is reported and the demo carries on", async () => {
    const stop = new AbortController();
    const failures: unknown[] = [];
    let calls = 0;
    const running = startDemo({
      rate: 400,
      intervalMs: 25,
      signal: stop.signal,
      publish: async () => {
        if (++calls % 2 === 1) throw new Error("queue full");
      },
      onError: (err) => failures.push(err),
    });
    await Bun.sleep(400);
    stop.abort();
    const stats = await running;
    expect(stats.failedBatches).toBeGreaterThan(0);
    expect(stats.batches).toBeGreaterThan(0);
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
