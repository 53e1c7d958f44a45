import type { LogEvent } from "../../../core/log-event.ts";
import { EventsRejectedError, type LogStore } from "../../../core/ports/log-store.ts";
import { type BatchStep, ok, type Refusal, retry } from "../step.ts";

/** What the write step needs of the store: its idempotent write (by event id). */
export type IndexerSink = Pick<LogStore, "write">;

/**
 * The last step: the batch's events to the store, in one write. Events the store refuses for good (a
 * search engine's mapping error) are refused with its reason and dead-lettered; the rest are stored. An
 * outage (`isOutage`) is retried; the store's idempotence makes writing the whole batch again safe. Any
 * other error is a fault and is thrown.
 */
export function writeStep(store: IndexerSink, isOutage: (err: unknown) => boolean): BatchStep {
  return {
    name: "store write",
    async run(events: LogEvent[]) {
      try {
        await store.write(events);
        return ok([]);
      } catch (err) {
        if (err instanceof EventsRejectedError) return ok(refusals(events, err));
        if (isOutage(err)) return retry(err instanceof Error ? err.message : String(err));
        throw err;
      }
    },
  };
}

function refusals(events: readonly LogEvent[], err: EventsRejectedError): Refusal[] {
  const index = new Map(events.map((e, i) => [e.id.toLowerCase(), i]));
  const out: Refusal[] = [];
  for (const r of err.rejected) {
    const i = index.get(r.id.toLowerCase());
    if (i !== undefined)
      out.push({ index: i, reason: `rejected by the store: ${r.status} ${r.type}: ${r.reason}` });
  }
  return out;
}
