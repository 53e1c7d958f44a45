import type { LogEvent } from "../../core/log-event.ts";

/**
 * What a step decided: go on with `value`; dead-letter the message for `reason` (it can never succeed:
 * retrying would hold its partition up for ever); or retry later for `reason` (a dependency is down:
 * nothing is committed meanwhile, and the step runs again after a backoff). A step throws only for what
 * is none of these, a fault in LogFlow itself, and that stops the indexer.
 */
export type Ok<T> = { kind: "ok"; value: T };
export type DeadLettered = { kind: "dead-letter"; reason: string };
export type Retry = { kind: "retry"; reason: string };

export const ok = <T>(value: T): Ok<T> => ({ kind: "ok", value });
export const deadLetter = (reason: string): DeadLettered => ({ kind: "dead-letter", reason });
export const retry = (reason: string): Retry => ({ kind: "retry", reason });

/** A step over one message (decode, validate): it needs no dependency, so it never retries. */
export type MessageStepResult<T> = Ok<T> | DeadLettered;

/** Events of a batch that a batch step refuses for good, by index in the batch, with the reason. */
export interface Refusal {
  index: number;
  reason: string;
}

/**
 * A step over the validated events of a batch (a pattern miner, the store write): one call per batch,
 * so that a dependency is asked once, not once per event. `ok` lists the events it refused (they are
 * dead-lettered; the others go on to the next step); `retry` runs it again on the same events after a
 * backoff. The events are the pipeline's own objects: a step may enrich them in place for the next.
 */
export interface BatchStep {
  /** Names the step in logs and in the retry metric ("store write"). */
  readonly name: string;
  run(events: LogEvent[]): Promise<Ok<Refusal[]> | Retry>;
}
