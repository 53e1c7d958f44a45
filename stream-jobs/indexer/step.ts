import type { LogEvent } from "../../core/log-event.ts";

/**
 * What one step decided for its input: go on with `value`, send the message to the dead-letter topic
 * for `reason` (it can never succeed: retrying would hold its partition up for ever), or try again later
 * for `reason` (a dependency is down: nothing is committed meanwhile). A step throws only for what is
 * neither, a fault in LogFlow itself, and that stops the indexer.
 */
export type StepResult<T> =
  | { kind: "ok"; value: T }
  | { kind: "dead-letter"; reason: string }
  | { kind: "retry"; reason: string };

export const ok = <T>(value: T): StepResult<T> => ({ kind: "ok", value });
export const deadLetter = <T = never>(reason: string): StepResult<T> => ({ kind: "dead-letter", reason });
export const retry = <T = never>(reason: string): StepResult<T> => ({ kind: "retry", reason });

/** Events of one batch a batch step refuses for good, by their index in the batch, with the reason. */
export interface Refusal {
  index: number;
  reason: string;
}

/**
 * A step over the validated events of a batch (a pattern miner, the store write): one call per batch,
 * so that a dependency is asked once, not once per event. Its `ok` value lists the events it refused
 * (dead-lettered; the others go on to the next step). The events are the pipeline's own objects: a step
 * may enrich them in place for the steps after it.
 */
export interface BatchStep {
  /** Names the step in logs and in the retry metric ("store write"). */
  readonly name: string;
  run(events: readonly LogEvent[]): Promise<StepResult<Refusal[]>>;
}
