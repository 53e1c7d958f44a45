import type { Sql } from "postgres";
import { EMBEDDED_STORE_OPTIONS, PostgresLogStore } from "../../core/adapters/postgres/log-store.ts";
import { elasticsearchEngine } from "../../core/adapters/search/elasticsearch.ts";
import { SearchLogStore } from "../../core/adapters/search/log-store.ts";
import { openSearchEngine } from "../../core/adapters/search/opensearch.ts";
import type { Config } from "../../core/config.ts";
import type { LogStore } from "../../core/ports/log-store.ts";

/**
 * The log store for this config: Elasticsearch (ELASTICSEARCH_URL) or OpenSearch (OPENSEARCH_URL) when
 * set, else the Postgres tables (real Postgres at DATABASE_URL, or embedded PGlite) that also hold users
 * and alerts. Users, API keys and alerts stay in Postgres either way.
 *
 * The engine is asked for its health and the index template is installed here, at start-up, so that a
 * wrong URL or credentials is a start-up error naming the variable rather than a failure at first use.
 */
export async function selectStore(config: Config, sql: Sql): Promise<LogStore> {
  const engine = config.ELASTICSEARCH_URL
    ? {
        name: "ELASTICSEARCH_URL",
        engine: elasticsearchEngine({
          url: config.ELASTICSEARCH_URL,
          ...(config.ELASTICSEARCH_API_KEY ? { apiKey: config.ELASTICSEARCH_API_KEY } : {}),
          ...(config.ELASTICSEARCH_USERNAME !== undefined
            ? { username: config.ELASTICSEARCH_USERNAME, password: config.ELASTICSEARCH_PASSWORD ?? "" }
            : {}),
        }),
      }
    : config.OPENSEARCH_URL
      ? {
          name: "OPENSEARCH_URL",
          engine: openSearchEngine({
            url: config.OPENSEARCH_URL,
            ...(config.OPENSEARCH_USERNAME !== undefined
              ? { username: config.OPENSEARCH_USERNAME, password: config.OPENSEARCH_PASSWORD ?? "" }
              : {}),
          }),
        }
      : null;
  if (!engine) return new PostgresLogStore(sql, config.DATABASE_URL ? {} : EMBEDDED_STORE_OPTIONS);
  const store = new SearchLogStore(engine.engine, { indexPrefix: config.SEARCH_INDEX_PREFIX });
  try {
    await store.ensureTemplate();
  } catch (err) {
    await engine.engine.close().catch(() => {});
    throw new Error(
      `${engine.name}: cannot install the log index template: ${err instanceof Error ? err.message : err}`,
    );
  }
  return store;
}
