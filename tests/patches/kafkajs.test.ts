/**
 * What `patches/kafkajs@2.2.4.patch` makes kafkajs do, against a real broker: a connection's request queue
 * sets no timer while nothing waits (tulios/kafkajs#1556, #1704; unmerged upstream). Unpatched, every
 * open connection re-armed a 1 ms timer for as long as it lived, so an idle collector or indexer kept a
 * core busy waking itself.
 */
import { afterAll, describe, expect, test } from "bun:test";
import type { Admin } from "kafkajs";
import { kafkaClient } from "../../core/adapters/kafka/client.ts";
import { KAFKA_TEST_BROKERS, kafkaReachable } from "../helpers/engines.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

const enabled = await kafkaReachable();

/** Timers set while `fn` runs whose caller is kafkajs's request queue. */
async function requestQueueTimers(fn: () => Promise<unknown>): Promise<number> {
  const real = globalThis.setTimeout;
  let count = 0;
  const counting = (...args: Parameters<typeof setTimeout>) => {
    if (new Error().stack?.includes("requestQueue")) count++;
    return real(...args);
  };
  globalThis.setTimeout = Object.assign(counting, real) as typeof setTimeout;
  try {
    await fn();
  } finally {
    globalThis.setTimeout = real;
  }
  return count;
}

describe.skipIf(!enabled)("kafkajs as patched (patches/kafkajs@2.2.4.patch)", () => {
  let admin: Admin | undefined;
  afterAll(async () => {
    await admin?.disconnect();
  });

  test("an idle connection sets no timers, and answers its next request (tulios/kafkajs#1556, #1704)", async () => {
    admin = kafkaClient({ brokers: KAFKA_TEST_BROKERS, clientId: "logflow-patch-test" }).admin();
    await admin.connect();
    await admin.listTopics();
    // Bun.sleep is not setTimeout, so the only timers counted are the ones kafkajs sets meanwhile.
    expect(await requestQueueTimers(() => Bun.sleep(500))).toBe(0);
    // A request after the idle spell is sent at once: the queue checks itself when one is pushed.
    const timers = await requestQueueTimers(async () => {
      expect(Array.isArray(await admin?.listTopics())).toBe(true);
    });
    expect(timers).toBe(0);
  });
});
