import { describe, expect, test } from "bun:test";
import type { LogEvent } from "../../log-event.ts";
import { QueueFullError, QueueUnavailableError } from "../../ports/log-queue.ts";
import type { LogStore } from "../../ports/log-store.ts";
import { MemoryLogQueue, type StoreGuard } from "./queue.ts";

/** A store double that records writes and lets the test decide when each write commits. */
function recordingStore() {
  const writes: LogEvent[][] = [];
  const gates: Array<() => void> = [];
  const store = {
    write(events: LogEvent[]) {
      writes.push(events);
      return new Promise((resolve) => gates.push(() => resolve({ written: events.length, duplicates: 0 })));
    },
  } as unknown as LogStore;
  return { store, writes, release: () => gates.shift()?.() };
}

const ev = (n: number) => Array.from({ length: n }, (_, i) => ({ id: String(i) }) as LogEvent);

describe("MemoryLogQueue", () => {
  test("publish resolves only after its write commits", async () => {
    const { store, writes, release } = recordingStore();
    const q = new MemoryLogQueue(store, { maxPending: 100, batchSize: 10, lingerMs: 0, concurrency: 1 });
    let done = false;
    const p = q.publish(ev(3)).then(() => {
      done = true;
    });
    await Bun.sleep(5);
    expect(writes).toHaveLength(1);
    expect(done).toBe(false);
    release();
    await p;
    expect(done).toBe(true);
  });

  test("concurrent publishes during a write are grouped into one commit", async () => {
    const { store, writes, release } = recordingStore();
    const q = new MemoryLogQueue(store, { maxPending: 1000, batchSize: 100, lingerMs: 0, concurrency: 1 });
    const first = q.publish(ev(1));
    await Bun.sleep(1);
    const rest = Array.from({ length: 20 }, () => q.publish(ev(2)));
    release();
    await first;
    await Bun.sleep(1);
    expect(writes).toHaveLength(2);
    expect(writes[1]).toHaveLength(40);
    release();
    await Promise.all(rest);
    expect(q.lag()).toBe(0);
  });

  test("past maxPending, publish fails fast with QueueFullError and memory stays bounded", async () => {
    const { store, release } = recordingStore();
    const q = new MemoryLogQueue(store, { maxPending: 10, batchSize: 10, lingerMs: 0, concurrency: 1 });
    const a = q.publish(ev(8));
    await expect(q.publish(ev(3))).rejects.toBeInstanceOf(QueueFullError);
    expect(q.lag()).toBe(8);
    release();
    await a;
  });

  test("a failed write rejects every publish in its batch", async () => {
    const store = { write: () => Promise.reject(new Error("disk full")) } as unknown as LogStore;
    const q = new MemoryLogQueue(store, { maxPending: 100, batchSize: 100, lingerMs: 2, concurrency: 1 });
    const results = await Promise.allSettled([q.publish(ev(1)), q.publish(ev(1))]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect((await q.health()).status).toBe("degraded");
  });

  /** A queue that writes each publish at once, behind `guard`. */
  const guardedQueue = (store: LogStore, guard: StoreGuard) =>
    new MemoryLogQueue(store, { maxPending: 100, batchSize: 10, lingerMs: 0, concurrency: 1 }, guard);

  test("with a guard: a store that says it is down refuses at once, with its reason; nothing is written", async () => {
    const { store, writes } = recordingStore();
    let fault: string | null = "cannot write to LOGFLOW_DATA_DIR (EROFS read-only file system)";
    const guard = { fault: () => fault, failed: () => {}, commitTimeoutMs: 60_000 };
    const q = guardedQueue(store, guard);
    const err = await q.publish(ev(2)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueueUnavailableError);
    expect((err as QueueUnavailableError).reason).toContain("EROFS");
    expect(writes).toHaveLength(0);
    expect((await q.health()).detail).toContain("EROFS");
    fault = null;
    const ok = q.publish(ev(1));
    expect(writes).toHaveLength(1);
    expect((await q.health()).status).toBe("healthy");
    void ok;
  });

  test("with a guard: a commit that never finishes fails its publishes and tells the store", async () => {
    const { store } = recordingStore(); // never released: the write hangs, as a broken PGlite's does
    const told: string[] = [];
    const guard = { fault: () => null, failed: (why: string) => told.push(why), commitTimeoutMs: 20 };
    const q = guardedQueue(store, guard);
    const err = await q.publish(ev(2)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueueUnavailableError);
    expect((err as Error).message).toContain("did not finish within 20 ms");
    expect(told).toEqual([expect.stringContaining("did not finish within 20 ms")]);
  });
});
