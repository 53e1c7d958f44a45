import type { PatternAssigner } from "../../../core/patterns/assigner.ts";
import { type BatchStep, ok, retry } from "../step.ts";

/**
 * Between validate and the write: every event gets its template's id (`pattern`). It refuses nothing;
 * when a service's saved miner state cannot be read (the database is down) the batch waits and retries,
 * so that an id is never handed out from a state that forgot the templates this service already has.
 */
export function patternStep(assigner: PatternAssigner, isOutage: (err: unknown) => boolean): BatchStep {
  return {
    name: "pattern assignment",
    async run(events) {
      try {
        await assigner.assign(events);
        return ok([]);
      } catch (err) {
        if (isOutage(err)) return retry(err instanceof Error ? err.message : String(err));
        throw err;
      }
    },
  };
}
