import type { LogEvent } from "../../core/log-event.ts";
import type { LogLine } from "../../core/logger.ts";
import type { DeadLetter, QueueBatch, QueueMessage } from "../../core/ports/log-queue.ts";
import type { Telemetry } from "../../core/ports/telemetry.ts";
import { type BatchStep, type Ok, ok, type Refusal, type Retry, retry } from "./step.ts";
import { decodeMessage } from "./steps/decode.ts";
import { validateEvent } from "./steps/validate.ts";

export interface PipelineOptions {
  /** A message larger than this is dead-lettered unread. */
  maxMessageBytes: number;
  /**
   * Steps between validate and the write, in order, each over the batch's valid events (the place for
   * a pattern miner). None by default.
   */
  steps: BatchStep[];
  /** The last step: the store write. */
  write: BatchStep;
  /** Whether an error of the dead-letter publish means the queue is unavailable for now. */
  isOutage(err: unknown): boolean;
  /** Backoff between runs of a step that asked to retry, ms. */
  backoff: { initialMs: number; maxMs: number };
  /**
   * A step run with no answer for this long counts as failing (retry metric, status degraded), once
   * per period, while the pipeline keeps waiting for it: a client may queue a request while its server
   * is away rather than fail it (postgres.js does), and an outage must show as one.
   */
  slowAfterMs: number;
  telemetry: Telemetry;
  log?: LogLine;
}

/**
 * The indexer's work on one batch: decode → validate → (steps) → write → dead-letter, then the queue
 * commits. Each message step keeps a message or dead-letters it; each batch step runs once for the
 * batch's events, and a `retry` runs it again after a backoff (heartbeating, so the group keeps this
 * member) until it succeeds or the batch becomes inactive. A step's exception is not caught: it is a
 * fault, and the queue consumer stops on it.
 */
export class IndexerPipeline {
  /** Since when a step has been retrying (a dependency down), or null. */
  failingSince: number | null = null;

  constructor(private readonly o: PipelineOptions) {}

  /** Handle one batch: true once everything is stored or dead-lettered; false when it became inactive. */
  async handle(batch: QueueBatch): Promise<boolean> {
    const t0 = performance.now();
    try {
      const dead: DeadLetter[] = [];
      let events: LogEvent[] = [];
      let messages: QueueMessage[] = [];
      for (const message of batch.messages) {
        const decoded = decodeMessage(message.value, this.o.maxMessageBytes);
        const valid = decoded.kind === "ok" ? validateEvent(decoded.value) : decoded;
        if (valid.kind === "ok") {
          events.push(valid.value);
          messages.push(message);
        } else dead.push({ message, reason: valid.reason });
      }
      for (const step of [...this.o.steps, this.o.write]) {
        if (events.length === 0) break;
        const refused = await this.untilDone(step.name, batch, () => step.run(events));
        if (refused === null) return false;
        if (refused.length > 0) [events, messages] = this.setAside(refused, events, messages, dead);
      }
      if (dead.length > 0) {
        const published = await this.untilDone("dead-letter publish", batch, () =>
          this.deadLetter(batch, dead),
        );
        if (published === null) return false;
      }
      if (events.length > 0) this.o.telemetry.indexerStored(events.length);
      for (const d of dead) this.o.telemetry.indexerDeadLettered(d.reason.split(":")[0] ?? "invalid");
      return true;
    } finally {
      this.o.telemetry.indexerBatch({
        partition: batch.partition,
        messages: batch.messages.length,
        seconds: (performance.now() - t0) / 1000,
      });
    }
  }

  /** The events a step refused join the dead letters; the rest go on, their messages beside them. */
  private setAside(
    refused: Refusal[],
    events: LogEvent[],
    messages: QueueMessage[],
    dead: DeadLetter[],
  ): [LogEvent[], QueueMessage[]] {
    const reasons = new Map(refused.map((r) => [r.index, r.reason]));
    const keptEvents: LogEvent[] = [];
    const keptMessages: QueueMessage[] = [];
    events.forEach((event, i) => {
      const reason = reasons.get(i);
      if (reason === undefined) {
        keptEvents.push(event);
        keptMessages.push(messages[i]!);
      } else dead.push({ message: messages[i]!, reason });
    });
    return [keptEvents, keptMessages];
  }

  private async deadLetter(batch: QueueBatch, dead: DeadLetter[]): Promise<Ok<undefined> | Retry> {
    try {
      await batch.deadLetter(dead);
      return ok(undefined);
    } catch (err) {
      if (this.o.isOutage(err)) return retry(err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  /**
   * Run `step` until it is done, backing off between retries and heartbeating meanwhile. Its value, or
   * null when the batch became inactive (the consumer stops, or the partition moved).
   */
  private async untilDone<T>(
    what: string,
    batch: QueueBatch,
    step: () => Promise<Ok<T> | Retry>,
  ): Promise<T | null> {
    let delay = this.o.backoff.initialMs;
    let failures = 0;
    const failed = (reason: string, verb: string) => {
      failures++;
      this.failingSince ??= Date.now();
      this.o.telemetry.indexerRetried(what);
      // The first failure, then every 10th: an outage of minutes must not flood the log.
      if (failures === 1 || failures % 10 === 0) {
        this.o.log?.({ level: "ERROR", msg: `indexer: ${what} ${verb}`, failures, error: reason });
      }
    };
    for (;;) {
      const result = await this.answer(what, step(), batch, () => {
        failed(`no answer within ${this.o.slowAfterMs} ms`, "is not answering; still waiting");
      });
      if (result === null) return null;
      if (result.kind === "ok") {
        if (failures) {
          this.o.log?.({ level: "INFO", msg: `indexer: ${what} succeeded again`, failures });
          this.failingSince = null;
        }
        return result.value;
      }
      failed(result.reason, "failed; retrying");
      const until = Date.now() + delay;
      while (Date.now() < until) {
        if (!batch.active()) return null;
        await batch.heartbeat();
        await sleep(Math.min(250, Math.max(1, until - Date.now())));
      }
      if (!batch.active()) return null;
      delay = Math.min(delay * 2, this.o.backoff.maxMs);
    }
  }

  /**
   * The outcome of a step's run, heartbeating while it runs; `slow` is called for each slowAfterMs it
   * runs. Null when the batch became inactive meanwhile: the run is left to finish on its own, unused
   * (nothing of the batch is committed, so whoever reads the partition next does the work again).
   */
  private async answer<R>(
    what: string,
    run: Promise<R>,
    batch: QueueBatch,
    slow: () => void,
  ): Promise<R | null> {
    const tickMs = Math.min(HEARTBEAT_MS, this.o.slowAfterMs);
    const tick = Symbol("tick");
    let waited = 0;
    let nextSlow = this.o.slowAfterMs;
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const r = await Promise.race([
        run,
        new Promise<typeof tick>((resolve) => (timer = setTimeout(resolve, tickMs, tick))),
      ]);
      clearTimeout(timer);
      if (r !== tick) return r as R;
      waited += tickMs;
      if (waited >= nextSlow) {
        nextSlow += this.o.slowAfterMs;
        slow();
      }
      if (!batch.active()) {
        run.catch((err: unknown) =>
          this.o.log?.({ level: "WARNING", msg: `indexer: abandoned ${what} failed`, error: String(err) }),
        );
        return null;
      }
      await batch.heartbeat();
    }
  }
}

/** How often a consumer waiting on a step tells the group it is alive (well within any session timeout). */
const HEARTBEAT_MS = 3_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
