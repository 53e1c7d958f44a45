import { describe, expect, test } from "bun:test";
import { QueueFullError } from "../ports/log-queue.ts";
import { GroupCommit } from "./group-commit.ts";

/** A commit that records its batches and lets the test decide when each one ends. */
function gatedCommit() {
  const batches: number[][] = [];
  const gates: { resolve: () => void; reject: (err: Error) => void }[] = [];
  const commit = (items: number[]) => {
    batches.push(items);
    return new Promise<void>((resolve, reject) => gates.push({ resolve, reject }));
  };
  return {
    commit,
    batches,
    release: () => gates.shift()?.resolve(),
    fail: (err: Error) => gates.shift()?.reject(err),
    open: () => gates.length,
  };
}

const opts = { maxPending: 100, batchSize: 10, lingerMs: 0, concurrency: 1 };

describe("GroupCommit", () => {
  test("batches keep submit order, and a batch never exceeds batchSize unless one submit does", async () => {
    const c = gatedCommit();
    const g = new GroupCommit(opts, c.commit);
    const done = [g.submit([1]), g.submit([2, 3]), g.submit([4, 5, 6, 7, 8, 9, 10, 11]), g.submit([12])];
    const big = g.submit(Array.from({ length: 15 }, (_, i) => 100 + i));
    while (c.batches.length < 4) {
      await Bun.sleep(1);
      c.release();
    }
    await Promise.all([...done, big]);
    // [1] goes alone (an idle group commit with no linger starts at once); [2, 3] and the eight after
    // it fill one batch of 10; [12] would pass it.
    expect(c.batches.map((b) => b.length)).toEqual([1, 10, 1, 15]);
    expect(c.batches.flat().slice(0, 12)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(g.pending()).toBe(0);
  });

  test("with concurrency 2, two commits run at once and a third waits for one of them", async () => {
    const c = gatedCommit();
    const g = new GroupCommit({ ...opts, batchSize: 1, concurrency: 2 }, c.commit);
    const all = [g.submit([1]), g.submit([2]), g.submit([3])];
    await Bun.sleep(1);
    expect(c.batches).toEqual([[1], [2]]);
    c.release();
    await all[0];
    await Bun.sleep(1);
    expect(c.batches).toEqual([[1], [2], [3]]);
    c.release();
    c.release();
    await Promise.all(all);
  });

  test("lingers for company only with one commit slot: with several, a free slot takes each submit at once", async () => {
    const single = gatedCommit();
    const one = new GroupCommit({ ...opts, lingerMs: 40, concurrency: 1 }, single.commit);
    const a = [one.submit([1]), one.submit([2])];
    await Bun.sleep(5);
    expect(single.batches).toEqual([]); // still lingering
    await Bun.sleep(60);
    expect(single.batches).toEqual([[1, 2]]);
    single.release();
    await Promise.all(a);

    // Two requests arriving a moment apart (the second's handler held the event loop past the linger)
    // are two commits side by side, not one merged commit that started late.
    const multi = gatedCommit();
    const four = new GroupCommit({ ...opts, lingerMs: 40, concurrency: 4 }, multi.commit);
    const b = [four.submit([1])];
    await Bun.sleep(5);
    expect(multi.batches).toEqual([[1]]);
    b.push(four.submit([2]));
    await Bun.sleep(5);
    expect(multi.batches).toEqual([[1], [2]]);
    multi.release();
    multi.release();
    await Promise.all(b);
  });

  test("a submit that times out while queued is answered with the timeout's error and never committed", async () => {
    const c = gatedCommit();
    const g = new GroupCommit({ ...opts, timeout: { ms: 20, error: () => new QueueFullError(7) } }, c.commit);
    // Both answers are caught at once: on a stalled machine both timeouts fire in one turn.
    const first = g.submit([1]).catch((err: unknown) => err);
    await Bun.sleep(1);
    const late = g.submit([2]).catch((err: unknown) => err);
    // The first commit outlives both timeouts: its caller was answered 503 already, and the second
    // submit, still queued, is dropped from the next batch.
    expect(await first).toBeInstanceOf(QueueFullError);
    expect(await late).toMatchObject({ retryAfterSeconds: 7 });
    c.release();
    await Bun.sleep(5);
    expect(c.batches).toEqual([[1]]);
    expect(g.pending()).toBe(0);
  });

  test("a failed commit rejects its submits at once, and the next commit waits for afterFailure", async () => {
    const c = gatedCommit();
    const cleanups: string[] = [];
    let finishCleanup = () => {};
    const g = new GroupCommit(opts, c.commit, async (err) => {
      cleanups.push((err as Error).message);
      await new Promise<void>((r) => {
        finishCleanup = r;
      });
    });
    const a = g.submit([1]);
    await Bun.sleep(1);
    const b = g.submit([2]);
    c.fail(new Error("broker gone"));
    // Answered while the cleanup is still running: a caller does not wait for a reconnect.
    await expect(a).rejects.toThrow("broker gone");
    await Bun.sleep(5);
    expect(cleanups).toEqual(["broker gone"]);
    expect(c.batches).toHaveLength(1);
    expect(g.health("publish", (n) => `${n} pending`)).toEqual({
      status: "degraded",
      detail: "last publish failed: broker gone",
    });
    finishCleanup();
    await Bun.sleep(1);
    expect(c.batches).toEqual([[1], [2]]);
    c.release();
    await b;
  });

  test("close refuses new submits and waits for the accepted ones, at most until its deadline", async () => {
    const c = gatedCommit();
    const g = new GroupCommit(opts, c.commit);
    const accepted = g.submit([1]);
    const closing = g.close(Date.now() + 60_000);
    await expect(g.submit([2])).rejects.toBeInstanceOf(QueueFullError);
    await Bun.sleep(10);
    c.release();
    await closing;
    await accepted;

    const stuck = new GroupCommit(opts, () => new Promise(() => {}));
    void stuck.submit([1]);
    const started = Date.now();
    await stuck.close(Date.now() + 30);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(stuck.pending()).toBe(1);
  });

  test("health: degraded past 90 % of maxPending, healthy below, the backlog in the caller's words", async () => {
    const c = gatedCommit();
    const g = new GroupCommit({ ...opts, maxPending: 10, batchSize: 100 }, c.commit);
    const words = (n: number) => `${n} awaiting ack`;
    const first = g.submit([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(g.health("publish", words)).toEqual({ status: "healthy", detail: "9 awaiting ack" });
    const second = g.submit([10]);
    expect(g.health("publish", words)).toEqual({ status: "degraded", detail: "10 awaiting ack" });
    while (c.open() > 0 || g.pending() > 0) {
      c.release();
      await Bun.sleep(1);
    }
    await Promise.all([first, second]);
    expect(g.health("publish", words)).toEqual({ status: "healthy", detail: "0 awaiting ack" });
  });
});
