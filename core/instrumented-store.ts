import type { LogStore } from "./ports/log-store.ts";
import type { Telemetry } from "./ports/telemetry.ts";

/**
 * A LogStore that reports every operation's duration and outcome, and the events it newly stored,
 * to telemetry; it changes nothing else. Wraps any implementation (Postgres, Elasticsearch, …).
 */
export function instrumentStore(store: LogStore, telemetry: Telemetry): LogStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function" || typeof prop !== "string") return value;
      return async (...args: unknown[]) => {
        const started = performance.now();
        try {
          const result = await value.apply(target, args);
          telemetry.storeQuery(prop, (performance.now() - started) / 1000, true);
          if (prop === "write") {
            const events = args[0] as { service: string; level: string }[];
            const { duplicates } = result as { duplicates: number };
            // Duplicates are replays of events already counted; which ones is not known, so count only
            // when there were none (the common case) and otherwise leave the counter short, not inflated.
            if (duplicates === 0) telemetry.eventsIndexed(events);
          }
          return result;
        } catch (err) {
          telemetry.storeQuery(prop, (performance.now() - started) / 1000, false);
          throw err;
        }
      };
    },
  });
}
