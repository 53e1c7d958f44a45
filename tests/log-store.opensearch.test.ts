import { describe, setDefaultTimeout } from "bun:test";
import { SearchLogStore } from "../core/adapters/search/log-store.ts";
import { openSearchEngine } from "../core/adapters/search/opensearch.ts";
import { OPENSEARCH_TEST_URL, opensearchReachable } from "./helpers/engines.ts";
import { runLogStoreConformance } from "./log-store-conformance.ts";

// Writes wait for a refresh (up to 1 s) and the 10,000-event test creates four day indices: on two shared
// cores that outlasts bun's 5 s default, which suits an in-process Postgres better than a JVM over HTTP.
setDefaultTimeout(30_000);

// Throws when LOGFLOW_REQUIRE_ENGINES names opensearch and the node is absent, so CI cannot skip.
const reachable = await opensearchReachable();

/** A prefix no other run uses; its indices and template are removed when the suite closes. */
function freshPrefix(): string {
  return `logflow-test-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

describe.skipIf(!reachable)("OpenSearch node", () => {
  runLogStoreConformance("search-engine store on OpenSearch", async () => {
    const prefix = freshPrefix();
    const engine = openSearchEngine({ url: OPENSEARCH_TEST_URL });
    return {
      store: new SearchLogStore(engine, { indexPrefix: prefix }),
      async close() {
        await engine.transport({ method: "DELETE", path: `/${prefix}-*` });
        await engine.transport({ method: "DELETE", path: `/_index_template/${prefix}` });
        await engine.close();
      },
    };
  });
});
