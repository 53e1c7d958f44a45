import { KafkaLogQueue } from "../../core/adapters/kafka/queue.ts";
import { MemoryLogQueue } from "../../core/adapters/memory/queue.ts";
import type { Config } from "../../core/config.ts";
import type { LogLine } from "../../core/logger.ts";
import type { LogQueue } from "../../core/ports/log-queue.ts";
import type { LogStore } from "../../core/ports/log-store.ts";

/**
 * The ingest queue for this config: Kafka when KAFKA_BROKERS is set (cluster profile: publish resolves
 * on the broker's ack, `bun run indexer` writes to the store), else the in-process group-commit queue
 * writing straight to the store (embedded default).
 */
export async function selectQueue(config: Config, store: LogStore, log?: LogLine): Promise<LogQueue> {
  if (config.KAFKA_BROKERS?.length) {
    return KafkaLogQueue.connect({
      brokers: config.KAFKA_BROKERS,
      clientId: config.KAFKA_CLIENT_ID,
      topic: config.KAFKA_TOPIC,
      maxPending: config.QUEUE_MAX_PENDING,
      log,
    });
  }
  return new MemoryLogQueue(store, {
    maxPending: config.QUEUE_MAX_PENDING,
    batchSize: config.QUEUE_BATCH_SIZE,
    lingerMs: config.QUEUE_LINGER_MS,
    concurrency: config.DATABASE_URL ? Math.max(1, Math.min(4, config.DATABASE_POOL_SIZE - 1)) : 1,
  });
}
