import type { LogLine } from "../../core/logger.ts";
import type { HealthStatus } from "../../core/ops/schema.ts";
import type { LogQueueConsumer } from "../../core/ports/log-queue.ts";
import { noTelemetry, type Telemetry } from "../../core/ports/telemetry.ts";
import { IndexerPipeline } from "./pipeline.ts";
import type { BatchStep } from "./step.ts";
import { type IndexerSink, writeStep } from "./steps/write.ts";

export type { IndexerSink } from "./steps/write.ts";

export interface IndexerOptions {
  /** Where the log topic is read from: the queue's consume side (Kafka). */
  consumer: LogQueueConsumer;
  /** Where events go: the LogStore, whose write is idempotent by event id. */
  store: IndexerSink;
  /**
   * Whether an error of the store or of the dead-letter publish means that dependency is unavailable
   * for now (retried with backoff, nothing committed meanwhile). Any other error is a fault: the indexer
   * stops and `done` rejects, for the supervisor to restart the process.
   */
  isOutage(err: unknown): boolean;
  /** Steps between validate and the write (a pattern miner); none by default. */
  steps?: BatchStep[];
  /** A message larger than this is dead-lettered unread (default 1 MiB). */
  maxMessageBytes?: number;
  /** Backoff between retries of a dependency that is down, ms. */
  backoff?: { initialMs: number; maxMs: number };
  /** A store write (or any step) with no answer for this long counts as failing while it is awaited, ms. */
  slowAfterMs?: number;
  telemetry?: Telemetry;
  log?: LogLine;
}

export interface IndexerStatus {
  status: HealthStatus;
  detail: string;
  /** Messages in the topic not yet committed by the group; null until first read. */
  lag: number | null;
  restarts: number;
  /** Since when a store write (or dead-letter publish) has been failing and retried, or null. */
  storeFailingSince: number | null;
}

export interface Indexer {
  status(): IndexerStatus;
  /** Read the lag now (it is also read periodically). */
  readLag(): Promise<number | null>;
  /** Finish the batches in hand (while the store takes them), commit, leave the group. */
  stop(): Promise<void>;
  /** Resolves after stop(); rejects with the fault that stopped the indexer (a bug: exit and restart). */
  readonly done: Promise<void>;
}

/**
 * The indexer: consumes the log topic and runs each batch through the pipeline (decode → validate →
 * steps → write → dead-letter); the consumer commits a batch only after that, so a crash replays it and
 * the store's idempotence by event id makes the replay a no-op. Poison is dead-lettered with its reason
 * and the rest of its batch indexed; a dependency outage is waited out; a fault stops everything loudly.
 */
export async function startIndexer(o: IndexerOptions): Promise<Indexer> {
  const telemetry = o.telemetry ?? noTelemetry;
  const pipeline = new IndexerPipeline({
    maxMessageBytes: o.maxMessageBytes ?? 1024 * 1024,
    steps: o.steps ?? [],
    write: writeStep(o.store, o.isOutage),
    isOutage: o.isOutage,
    backoff: o.backoff ?? { initialMs: 100, maxMs: 5_000 },
    slowAfterMs: o.slowAfterMs ?? 10_000,
    telemetry,
    ...(o.log ? { log: o.log } : {}),
  });
  const consumption = await o.consumer.consume((batch) => pipeline.handle(batch));
  return {
    status() {
      const c = consumption.status();
      const base = { lag: c.lag, restarts: c.restarts, storeFailingSince: pipeline.failingSince };
      if (c.status === "unhealthy") return { ...base, status: c.status, detail: c.detail };
      if (pipeline.failingSince) {
        const s = Math.round((Date.now() - pipeline.failingSince) / 1000);
        return { ...base, status: "degraded", detail: `store writes failing for ${s} s (retrying)` };
      }
      return { ...base, status: c.status, detail: c.detail };
    },
    readLag: () => consumption.readLag(),
    stop: () => consumption.stop(),
    done: consumption.done,
  };
}
