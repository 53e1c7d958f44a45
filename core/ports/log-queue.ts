import type { LogEvent } from "../log-event.ts";
import type { HealthStatus } from "../ops/schema.ts";
import type { StoreHealth } from "./log-store.ts";

/** Raised when the queue cannot take more right now; the API answers 503 with Retry-After. */
export class QueueFullError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super("ingest queue is full");
    this.name = "QueueFullError";
  }
}

/**
 * Raised when the queue's broker did not take the events: unreachable, or no acknowledgement in time.
 * The API answers 503 "queue unavailable" with Retry-After; the events were not acknowledged.
 */
export class QueueUnavailableError extends Error {
  constructor(
    readonly reason: string,
    readonly retryAfterSeconds = 5,
  ) {
    super(`ingest queue unavailable: ${reason}`);
    this.name = "QueueUnavailableError";
  }
}

/**
 * The ingest path's buffer between the API and the store. `publish` resolves only once the events
 * are durable (store commit in-process, broker ack for Kafka); it rejects with QueueFullError under
 * backpressure, QueueUnavailableError when the broker is away, and with the store's error if they could
 * not be made durable.
 *
 * This is the publish side only. The in-process queues have nothing to consume: their publish is the
 * store write itself (group-committed), which is what makes the answer durable. The consume side is
 * LogQueueConsumer below, which only a queue that outlives the request (Kafka) has.
 */
export interface LogQueue {
  publish(events: LogEvent[]): Promise<void>;
  /** Events accepted but not yet durable. */
  lag(): number;
  health(): Promise<StoreHealth>;
  close(): Promise<void>;
}

/** A message as the consumer reads it: the bytes the collector published (one event as JSON). */
export interface QueueMessage {
  readonly value: Uint8Array | null;
}

/** A message that can never be indexed, and why; it goes to the dead-letter topic. */
export interface DeadLetter {
  message: QueueMessage;
  reason: string;
}

/**
 * Consecutive messages of one partition, handed to the consumer's handler. A partition's batches come
 * one at a time, in order; batches of other partitions may be in hand at the same time.
 */
export interface QueueBatch {
  readonly partition: number;
  readonly messages: readonly QueueMessage[];
  /**
   * False once the consumer is stopping or the partition went to another consumer: the handler should
   * return false. Nothing of the batch is committed then, and the partition's next reader reads it again.
   */
  active(): boolean;
  /** Keeps this consumer in its group while the handler waits (backing off from an outage). */
  heartbeat(): Promise<void>;
  /**
   * Publish messages of this batch to the dead-letter topic with their reasons (and where each came
   * from); resolves once they are durable, rejects when the queue is unreachable (worth retrying).
   */
  deadLetter(items: readonly DeadLetter[]): Promise<void>;
}

/**
 * Does what the batch calls for (store its events, dead-letter the rest) and resolves true, after which
 * the batch is committed; or resolves false, having found the batch inactive, and nothing is committed.
 * A handler that throws has met a fault it does not understand: the consumer stops (see `done`).
 */
export type BatchHandler = (batch: QueueBatch) => Promise<boolean>;

export interface QueueConsumerStatus {
  status: HealthStatus;
  detail: string;
  /** Messages not yet committed by the consumer group; null until first read. */
  lag: number | null;
  /** Times the consumer was replaced (after a crash, or found stale). */
  restarts: number;
}

/** A running consumer (see LogQueueConsumer.consume). */
export interface Consumption {
  /**
   * Settles when the consumer has ended: resolves after stop(); rejects with the handler's error when a
   * handler threw, once the consumer has stopped (its batches in hand abandoned, nothing committed).
   */
  readonly done: Promise<void>;
  status(): QueueConsumerStatus;
  /** Read the lag from the broker now (it is also read periodically). */
  readLag(): Promise<number | null>;
  /** Finish the batches in hand (while the handler takes them), commit, leave the group, disconnect. */
  stop(): Promise<void>;
}

/**
 * The queue's consume side, for the indexer: at-least-once delivery. Offsets are committed only after
 * the handler resolved true for a batch, so a crash replays what was not committed; an outage of the
 * broker is the consumer's to ride out (it reconnects), never the handler's.
 */
export interface LogQueueConsumer {
  /** Join the consumer group and hand every batch to `handler`; resolves once consuming started. */
  consume(handler: BatchHandler): Promise<Consumption>;
}
