import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { LogEvent } from "../core/log-event.ts";
import type { Arrival, ArrivalPosition, LogArrivals } from "../core/ports/log-arrivals.ts";
import { InvalidCursorError, type LogStore } from "../core/ports/log-store.ts";
import { logEvent } from "./helpers/events.ts";

export interface ArrivalsUnderTest {
  store: LogStore;
  arrivals: LogArrivals;
  close(): Promise<void>;
}

/**
 * Every arrival after `from` up to the store's end, in pages of `limit`, reading on until `service` has
 * `count` of them (for up to 20 s: on a shared Postgres server, a write transaction open in another
 * database holds the end back until it finishes).
 */
export async function readAll(
  arrivals: LogArrivals,
  from: ArrivalPosition,
  o: { service?: string; count?: number; limit?: number } = {},
): Promise<Arrival[]> {
  const out: Arrival[] = [];
  const deadline = Date.now() + 20_000;
  let at = from;
  for (;;) {
    const page = await arrivals.read(at, { limit: o.limit ?? 1000 });
    out.push(...page.arrivals);
    at = page.next;
    if (!page.reachedEnd) continue;
    const seen = out.filter((a) => a.event.service === o.service).length;
    if (o.count === undefined || seen >= o.count || Date.now() > deadline) return out;
    await Bun.sleep(100);
  }
}

/** Events of one fresh service (tests share a store), with messages m0, m1, … at the given times. */
function batch(service: string, times: number[], first = 0): LogEvent[] {
  return times.map((ts, i) => logEvent(ts, { service, message: `m${first + i}` }));
}

const mine = (service: string, list: Arrival[]) =>
  list.filter((a) => a.event.service === service).map((a) => a.event.message);

/**
 * What every LogArrivals must do: the events a store wrote, each once, in the order the writes became
 * visible (not by timestamp), resumable from any position it handed out.
 */
export function runLogArrivalsConformance(name: string, open: () => Promise<ArrivalsUnderTest>): void {
  describe(name, () => {
    let t: ArrivalsUnderTest;
    beforeAll(async () => {
      t = await open();
    }, 60_000);
    afterAll(async () => {
      await t?.close();
    });
    const fresh = () => `arr-${crypto.randomUUID().slice(0, 8)}`;
    const now = () => Date.now();

    test("delivers what was written after the head, in write order, however old its timestamp", async () => {
      const service = fresh();
      const start = await t.arrivals.head();
      await t.store.write(batch(service, [now()], 0));
      // Written second, but an hour older: a timestamp cursor would have passed it already.
      await t.store.write(batch(service, [now() - 3_600_000], 1));
      await t.store.write(batch(service, [now()], 2));
      expect(mine(service, await readAll(t.arrivals, start, { service, count: 3 }))).toEqual([
        "m0",
        "m1",
        "m2",
      ]);
    });

    test("orders the events of one write by time, and starts after what was there before the head", async () => {
      const service = fresh();
      const base = now() - 60_000;
      await t.store.write(batch(service, [base], 9));
      const start = await t.arrivals.head();
      await t.store.write(batch(service, [base + 3, base + 1, base + 2], 0));
      expect(mine(service, await readAll(t.arrivals, start, { service, count: 3 }))).toEqual([
        "m1",
        "m2",
        "m0",
      ]);
    });

    test("pages end where the next begins: no event twice, none left out, positions increasing", async () => {
      const service = fresh();
      const start = await t.arrivals.head();
      for (let w = 0; w < 3; w++) {
        await t.store.write(batch(service, [now() - 5_000, now() - 4_000, now() - 3_000], w * 3));
      }
      const all = (await readAll(t.arrivals, start, { service, count: 9, limit: 2 })).filter(
        (a) => a.event.service === service,
      );
      expect(all.map((a) => a.event.message)).toEqual(["m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8"]);
      const positions = all.map((a) => a.position);
      expect(positions).toEqual(positions.toSorted());
      expect(new Set(positions).size).toBe(positions.length);
    });

    test("resuming at an event's position delivers what came after it, not it", async () => {
      const service = fresh();
      const start = await t.arrivals.head();
      await t.store.write(batch(service, [now() - 2_000, now() - 1_000], 0));
      await t.store.write(batch(service, [now() - 9_000], 2));
      const all = (await readAll(t.arrivals, start, { service, count: 3 })).filter(
        (a) => a.event.service === service,
      );
      const resumed = await readAll(t.arrivals, all[0]!.position, { service, count: 2 });
      expect(mine(service, resumed)).toEqual(["m1", "m2"]);
      expect(mine(service, await readAll(t.arrivals, all[2]!.position))).toEqual([]);
    });

    test("a replayed event (same id) is not delivered again", async () => {
      const service = fresh();
      const start = await t.arrivals.head();
      const events = batch(service, [now() - 1_000], 0);
      await t.store.write(events);
      await t.store.write(events);
      expect(mine(service, await readAll(t.arrivals, start, { service, count: 1 }))).toEqual(["m0"]);
    });

    test("`until` bounds a read, which then ends exactly there", async () => {
      const service = fresh();
      const start = await t.arrivals.head();
      await t.store.write(batch(service, [now() - 1_000], 0));
      await readAll(t.arrivals, start, { service, count: 1 });
      const middle = (await t.arrivals.read(start, { limit: 1000 })).next;
      await t.store.write(batch(service, [now() - 1_000], 1));
      const bounded = await t.arrivals.read(start, { limit: 1000, until: middle });
      expect(mine(service, bounded.arrivals)).toEqual(["m0"]);
      expect(bounded.next).toBe(middle);
      expect(bounded.reachedEnd).toBe(true);
      expect(mine(service, await readAll(t.arrivals, middle, { service, count: 1 }))).toEqual(["m1"]);
    });

    test("an empty read ends at or after where it began, never before", async () => {
      const head = await t.arrivals.head();
      const page = await t.arrivals.read(head, { limit: 10 });
      expect(page.next >= head).toBe(true);
      expect((await t.arrivals.read(page.next, { limit: 10, until: head })).next).toBe(page.next);
    });

    test("a position it did not issue is an InvalidCursorError", async () => {
      for (const bad of ["", "x", "0000000000000001.zz", "1'; drop table logs; --"]) {
        const err = await t.arrivals.read(bad, { limit: 1 }).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(InvalidCursorError);
      }
    });
  });
}
