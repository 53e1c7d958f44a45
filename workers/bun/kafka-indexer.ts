import { kafkaLogConsumer } from "../../core/adapters/kafka/consumer.ts";
import type { Config } from "../../core/config.ts";
import type { LogLine } from "../../core/logger.ts";
import type { PatternAssigner } from "../../core/patterns/assigner.ts";
import type { Telemetry } from "../../core/ports/telemetry.ts";
import { type Indexer, type IndexerSink, startIndexer } from "../../stream-jobs/indexer/indexer.ts";
import { patternStep } from "../../stream-jobs/indexer/steps/patterns.ts";
import { isEngineOutage } from "../outage.ts";

/**
 * The indexer on Bun: KAFKA_TOPIC consumed as the group KAFKA_GROUP_ID, written to `store`, every
 * engine's outage waited out. `bun run indexer` runs it alone; `bun run dev` with KAFKA_BROKERS inside.
 */
export function startKafkaIndexer(
  config: Config & { KAFKA_BROKERS: string[] },
  deps: {
    store: IndexerSink;
    log: LogLine;
    telemetry?: Telemetry | undefined;
    /** Gives each event its pattern id before the write. */
    patterns?: PatternAssigner | undefined;
  },
): Promise<Indexer> {
  const telemetry = deps.telemetry ? { telemetry: deps.telemetry } : {};
  return startIndexer({
    consumer: kafkaLogConsumer({
      brokers: config.KAFKA_BROKERS,
      clientId: `${config.KAFKA_CLIENT_ID}-indexer`,
      topic: config.KAFKA_TOPIC,
      groupId: config.KAFKA_GROUP_ID,
      log: deps.log,
      ...telemetry,
    }),
    store: deps.store,
    isOutage: isEngineOutage,
    steps: deps.patterns ? [patternStep(deps.patterns, isEngineOutage)] : [],
    log: deps.log,
    ...telemetry,
  });
}
