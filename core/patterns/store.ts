import type { LogStore } from "../ports/log-store.ts";
import type { PatternAssigner } from "./assigner.ts";

/**
 * The store as the embedded ingest path writes to it: every event gets its template's id before it is
 * written (the Kafka indexer does the same in its pipeline, stream-jobs/indexer/steps/patterns.ts).
 */
export function patternStore(store: LogStore, assigner: PatternAssigner): LogStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop !== "write" || typeof value !== "function") return value;
      return async (events: Parameters<LogStore["write"]>[0]) => {
        await assigner.assign(events);
        return (value as LogStore["write"]).apply(target, [events]);
      };
    },
  });
}
