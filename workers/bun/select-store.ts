import type { Sql } from "postgres";
import { PostgresLogStore } from "../../core/adapters/postgres/log-store.ts";
import type { Config } from "../../core/config.ts";
import type { LogStore } from "../../core/ports/log-store.ts";

/**
 * The log store for this config: Elasticsearch or OpenSearch when their URL is set, else the
 * Postgres tables (real Postgres at DATABASE_URL, or embedded PGlite) that also hold users and alerts.
 */
export async function selectStore(config: Config, sql: Sql): Promise<LogStore> {
  if (config.ELASTICSEARCH_URL || config.OPENSEARCH_URL) {
    throw new Error(
      "ELASTICSEARCH_URL/OPENSEARCH_URL is set, but this build has no such adapter yet; unset it",
    );
  }
  return new PostgresLogStore(sql);
}
