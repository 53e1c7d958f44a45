import { describe, expect, test } from "bun:test";
import type { LogEvent } from "../../log-event.ts";
import { QueueFullError } from "../../ports/log-queue.ts";
import type { LogStore } from "../../ports/log-store.ts";
import { MemoryLogQueue } from "./queue.ts";

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
});
