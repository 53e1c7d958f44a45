import { indexTemplate } from "../core/adapters/search/mappings.ts";
import { numericAttributes, QUERY_MAPPING, toSearchQuery } from "../core/query/search-engine.ts";
import { OPENSEARCH_TEST_URL, opensearchReachable } from "./helpers/engines.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";
import { runQueryProperty } from "./query-property.ts";

integrationTimeouts(60_000);

// Throws when LOGFLOW_REQUIRE_ENGINES names opensearch and the node is absent, so CI cannot skip.
const reachable = await opensearchReachable();

interface Answer {
  errors?: boolean;
  items?: { create?: { error?: unknown } }[];
  hits?: { hits: { _id: string }[] };
}

async function call(method: string, path: string, body?: unknown, ndjson = false): Promise<Answer> {
  const res = await fetch(`${OPENSEARCH_TEST_URL}${path}`, {
    method,
    headers: { "content-type": ndjson ? "application/x-ndjson" : "application/json" },
    body: body === undefined ? undefined : ndjson ? (body as string) : JSON.stringify(body),
  });
  const json = (await res.json()) as Answer;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json).slice(0, 500)}`);
  return json;
}

/**
 * One index made as the store's daily indices are (adapters/search/mappings.ts), with what the query
 * language adds to them (QUERY_MAPPING), and documents as the store writes them plus their numeric
 * attributes: the compiled DSL must select what the evaluator selects.
 */
if (reachable) {
  runQueryProperty("query language on OpenSearch", async () => {
    const index = `logflow-test-query-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const { settings, mappings } = indexTemplate(index, "opensearch", "1s").template;
    const properties: Record<string, unknown> = {
      ...mappings.properties,
      message: { ...mappings.properties.message, analyzer: QUERY_MAPPING.messageAnalyzer },
      ...QUERY_MAPPING.properties,
    };
    await call("PUT", `/${index}`, { settings, mappings: { ...mappings, properties } });
    return {
      async load(events) {
        let body = "";
        for (const e of events) {
          body += `${JSON.stringify({ create: { _index: index, _id: e.id } })}\n`;
          body += `${JSON.stringify({ ...e, attributes_numeric: numericAttributes(e.attributes) })}\n`;
        }
        const res = await call("POST", "/_bulk?refresh=true", body, true);
        if (res.errors) throw new Error(`bulk: ${JSON.stringify(res.items?.find((i) => i.create?.error))}`);
      },
      async search(query) {
        const res = await call("POST", `/${index}/_search`, {
          size: 10_000,
          _source: false,
          query: toSearchQuery(query),
        });
        return (res.hits?.hits ?? []).map((h) => h._id);
      },
      async close() {
        await call("DELETE", `/${index}`);
      },
    };
  });
}
