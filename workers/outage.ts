import { isKafkaOutage } from "../core/adapters/kafka/client.ts";
import { isPostgresOutage } from "../core/adapters/postgres/outage.ts";
import { isSearchEngineOutage } from "../core/adapters/search/backend.ts";

/**
 * Whether an error means one of LogFlow's engines (Postgres, Elasticsearch/OpenSearch, Kafka) is
 * unavailable for now, so the operation is worth retrying; anything else is a fault. Each adapter knows
 * its own client's errors; their shapes do not overlap.
 */
export function isEngineOutage(err: unknown): boolean {
  return isPostgresOutage(err) || isSearchEngineOutage(err) || isKafkaOutage(err);
}
