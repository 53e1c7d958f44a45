import { describe, expect, test } from "bun:test";
import { type LogEvent, parseLogEvent } from "../../log-event.ts";
import type { LogStore, WriteResult } from "../../ports/log-store.ts";
import { DirectLogQueue } from "./direct-queue.ts";

function event(message: string): LogEvent {
  const parsed = parseLogEvent({ service: "direct-queue-test", level: "INFO", message }, Date.now());
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.event;
}

/** Only write() is used by the queue; the rest of the port is not reached. */
function storeWith(write: (events: LogEvent[]) => Promise<WriteResult>): LogStore {
  return { write } as unknown as LogStore;
}

describe("DirectLogQueue", () => {
  test("publish resolves only after the store wrote that request's events, in one write", async () => {
    const writes: LogEvent[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const queue = new DirectLogQueue(
      storeWith(async (events) => {
        writes.push(events);
        await gate;
        return { written: events.length, duplicates: 0 };
      }),
    );
    let done = false;
    const published = queue.publish([event("a"), event("b")]).then(() => {
      done = true;
    });
    await Bun.sleep(5);
    expect(done).toBe(false);
    expect(queue.lag()).toBe(2);
    release();
    await published;
    expect(writes.map((w) => w.map((e) => e.message))).toEqual([["a", "b"]]);
    expect(queue.lag()).toBe(0);
  });

  test("a failed write rejects publish with the store's error and degrades health", async () => {
    const queue = new DirectLogQueue(
      storeWith(async () => {
        throw new Error("disk on fire");
      }),
    );
    expect((await queue.health()).status).toBe("healthy");
    await expect(queue.publish([event("x")])).rejects.toThrow("disk on fire");
    expect(await queue.health()).toEqual({ status: "degraded", detail: "last write failed: disk on fire" });
  });

  test("close waits for running writes and then refuses new events", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const queue = new DirectLogQueue(
      storeWith(async (events) => {
        await gate;
        return { written: events.length, duplicates: 0 };
      }),
    );
    const published = queue.publish([event("late")]);
    let closed = false;
    const closing = queue.close().then(() => {
      closed = true;
    });
    await Bun.sleep(5);
    expect(closed).toBe(false);
    release();
    await Promise.all([published, closing]);
    expect(closed).toBe(true);
    await expect(queue.publish([event("after")])).rejects.toThrow("queue is closed");
  });

  test("an empty publish writes nothing", async () => {
    let calls = 0;
    const queue = new DirectLogQueue(
      storeWith(async () => {
        calls++;
        return { written: 0, duplicates: 0 };
      }),
    );
    await queue.publish([]);
    expect(calls).toBe(0);
  });
});
