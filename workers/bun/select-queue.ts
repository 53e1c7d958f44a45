import { MemoryLogQueue } from "../../core/adapters/memory/queue.ts";
import type { Config } from "../../core/config.ts";
import type { LogQueue } from "../../core/ports/log-queue.ts";
import type { LogStore } from "../../core/ports/log-store.ts";

/**
 * The ingest queue for this config: Kafka when KAFKA_BROKERS is set (cluster profile), else the
 * in-process group-commit queue writing straight to the store (embedded default).
 */
export async function selectQueue(config: Config, store: LogStore): Promise<LogQueue> {
  if (config.KAFKA_BROKERS?.length) {
    throw new Error("KAFKA_BROKERS is set, but this build has no Kafka adapter yet; unset it");
  }
  return new MemoryLogQueue(store, {
    maxPending: config.QUEUE_MAX_PENDING,
    batchSize: config.QUEUE_BATCH_SIZE,
    lingerMs: config.QUEUE_LINGER_MS,
    concurrency: config.DATABASE_URL ? Math.max(1, Math.min(4, config.DATABASE_POOL_SIZE - 1)) : 1,
  });
}
