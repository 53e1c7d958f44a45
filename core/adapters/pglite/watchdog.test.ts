import { describe, expect, test } from "bun:test";
import { stuckBecause } from "./watchdog.ts";

/** A probe the test answers or fails when it chooses. */
function probe() {
  let answer: () => void = () => {};
  let fail: (err: Error) => void = () => {};
  const promise = new Promise<void>((resolve, reject) => {
    answer = resolve;
    fail = reject;
  });
  return { promise, answer, fail };
}

/** A clock that moves only when the watch waits: no test here depends on real time. */
function fakeClock() {
  const clock = {
    t: 0,
    /** Called on each wait, after the clock moved: a test's script of what happens when. */
    onWait: (_t: number) => {},
    now: () => clock.t,
    wait: async (ms: number) => {
      clock.t += ms;
      clock.onWait(clock.t);
    },
  };
  return clock;
}

/** The watch as the database thread runs it (a 15 s stall limit, a look every second), on `clock`. */
function watch(clock: ReturnType<typeof fakeClock>, probe: Promise<void>, lastFinished: () => number) {
  return stuckBecause({
    probe,
    lastFinished,
    stallMs: 15_000,
    everyMs: 1_000,
    now: clock.now,
    wait: clock.wait,
  });
}

describe("the embedded database's watchdog", () => {
  test("a probe late behind a slow write that is making progress is no reason to restart", async () => {
    const clock = fakeClock();
    const p = probe();
    let lastFinished = 0;
    // Statements finish every 2 s for a minute (a big batch, statement by statement), then the probe answers.
    clock.onWait = (t) => {
      if (t % 2_000 === 0) lastFinished = t;
      if (t === 60_000) p.answer();
    };
    const why = await watch(clock, p.promise, () => lastFinished);
    expect(why).toBeNull();
    expect(clock.t).toBeGreaterThanOrEqual(60_000);
    expect(clock.t).toBeLessThanOrEqual(61_000);
  });

  test("no statement finished for stallMs is stuck, and not a moment before", async () => {
    const clock = fakeClock();
    // The last statement finished 4 s before the watch began; nothing since.
    clock.t = 4_000;
    const why = await watch(clock, probe().promise, () => 0);
    expect(why).toBe("no statement finished for 15000 ms");
    expect(clock.t).toBe(15_000);
  });

  test("progress that stops counts from the last finished statement", async () => {
    const clock = fakeClock();
    let lastFinished = 0;
    clock.onWait = (t) => {
      if (t <= 10_000) lastFinished = t;
    };
    const why = await watch(clock, probe().promise, () => lastFinished);
    expect(why).toBe("no statement finished for 15000 ms");
    expect(clock.t).toBe(25_000);
  });

  test("a probe that fails is stuck at once, whatever the progress", async () => {
    const clock = fakeClock();
    const p = probe();
    p.fail(new Error("connect ECONNREFUSED"));
    const why = await watch(clock, p.promise, clock.now);
    expect(why).toBe("the probe failed: connect ECONNREFUSED");
    expect(clock.t).toBeLessThan(15_000);
  });

  test("a probe that answers at once ends the watch", async () => {
    const clock = fakeClock();
    const why = await watch(clock, Promise.resolve(), () => 0);
    expect(why).toBeNull();
  });
});
