import { describe } from "bun:test";
import { elasticsearchEngine } from "../core/adapters/search/elasticsearch.ts";
import { SearchLogStore } from "../core/adapters/search/log-store.ts";
import { requiredEngines } from "./helpers/engines.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";
import { runLogStoreConformance, SEARCH_ENGINE_STORE } from "./log-store-conformance.ts";

integrationTimeouts();

// The conformance suite against a real Elasticsearch, when there is one: ELASTICSEARCH_URL (with
// ELASTICSEARCH_API_KEY or ELASTICSEARCH_USERNAME/_PASSWORD), e.g. `docker compose up elasticsearch`.
// None can run on the CI machine (OpenSearch runs the same shared code there, and the Elasticsearch glue
// has its mock suite), so without one the suite is not registered at all, and says so; with
// LOGFLOW_REQUIRE_ENGINES naming elasticsearch its absence fails the run.
const url = process.env.ELASTICSEARCH_URL;
if (!url) {
  if (requiredEngines().has("elasticsearch")) {
    throw new Error("Elasticsearch is required (LOGFLOW_REQUIRE_ENGINES) but ELASTICSEARCH_URL is not set");
  }
  console.warn("[not run] ELASTICSEARCH_URL not set; the Elasticsearch conformance suite is not registered");
}

if (url)
  describe("Elasticsearch cluster", () => {
    runLogStoreConformance(
      "search-engine store on Elasticsearch",
      async () => {
        const prefix = `logflow-test-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
        const engine = elasticsearchEngine({
          url: url ?? "",
          ...(process.env.ELASTICSEARCH_API_KEY ? { apiKey: process.env.ELASTICSEARCH_API_KEY } : {}),
          ...(process.env.ELASTICSEARCH_USERNAME
            ? {
                username: process.env.ELASTICSEARCH_USERNAME,
                password: process.env.ELASTICSEARCH_PASSWORD ?? "",
              }
            : {}),
        });
        return {
          store: new SearchLogStore(engine, { indexPrefix: prefix }),
          async close() {
            // Elasticsearch refuses wildcard deletes by default (action.destructive_requires_name).
            const res = await engine.transport<Record<string, unknown>>({
              method: "GET",
              path: `/_alias/${prefix}`,
            });
            const names = res.status === 200 ? Object.keys(res.body) : [];
            if (names.length) await engine.transport({ method: "DELETE", path: `/${names.join(",")}` });
            await engine.transport({ method: "DELETE", path: `/_index_template/${prefix}` });
            await engine.close();
          },
        };
      },
      SEARCH_ENGINE_STORE,
    );
  });
