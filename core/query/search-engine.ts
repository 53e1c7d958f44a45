import type { LogEvent } from "../log-event.ts";
import type { QueryNode } from "./ast.ts";
import { attributeNumber } from "./values.ts";

/** A clause of the Elasticsearch/OpenSearch query DSL. */
export type Clause = Record<string, unknown>;

/** The field the search box queries: service and message, copied at index time (adapters/search/mappings.ts). */
const TEXT_FIELD = "search";
/** Numeric attributes, one nested (key, value) pair each: what ranges (and numeric aggregations) read. */
export const NUMERIC_ATTRIBUTES_FIELD = "attributes_numeric";

/**
 * What the index mapping needs for these queries beyond the template in adapters/search/mappings.ts:
 * - `message` analyzed into the words the Postgres store makes (the `logflow_words` analyzer the
 *   `search` field already has), so `message:"card declined"` finds the same events everywhere;
 * - numeric attributes as nested (key, value) pairs with a double value: `flat_object`/`flattened` index
 *   every leaf as a keyword, on which a range compares text (`"90" > "250"`). Nested pairs keep one
 *   field however many keys shippers invent (no mapping explosion) and let the engine aggregate a
 *   numeric attribute (avg, percentiles), at the cost of one hidden Lucene document per pair.
 * Indices made before keep their mapping: message keeps the standard analyzer, and ranges find nothing
 * in them, until retention drops them.
 */
export const QUERY_MAPPING = {
  messageAnalyzer: "logflow_words",
  properties: {
    [NUMERIC_ATTRIBUTES_FIELD]: {
      type: "nested",
      properties: { key: { type: "keyword" }, value: { type: "double" } },
    },
  },
} as const;

/** The nested pairs a document carries in NUMERIC_ATTRIBUTES_FIELD: numbers and numeric strings. */
export function numericAttributes(attributes: LogEvent["attributes"]): { key: string; value: number }[] {
  const out: { key: string; value: number }[] = [];
  for (const key in attributes) {
    if (!Object.hasOwn(attributes, key)) continue;
    const value = attributeNumber(attributes[key] as LogEvent["attributes"][string]);
    if (value !== undefined) out.push({ key, value });
  }
  return out;
}

/**
 * A query as an Elasticsearch/OpenSearch query clause (filter context: nothing scores). Values go in as
 * JSON values of term-level queries, never through a query-string parser, so nothing typed is read as the
 * engine's syntax. Attributes are `attributes.<name>` subfields of the `flat_object` (OpenSearch) or
 * `flattened` (Elasticsearch) field, whose leaves are keywords holding each value's JSON text (`500`,
 * `true`), which is what `equals` and `prefix` compare.
 *
 * Engine limits: a prefix inside a phrase (`java.lang.Null*`) expands to the words it matches, and the
 * engine refuses one that matches more than its clause limit (`indices.query.bool.max_clause_count`).
 */
export function toSearchQuery(node: QueryNode): Clause {
  switch (node.type) {
    case "all":
      return { match_all: {} };
    case "none":
      return { match_none: {} };
    case "and":
      return { bool: { filter: node.children.map(toSearchQuery) } };
    case "or":
      return { bool: { should: node.children.map(toSearchQuery), minimum_should_match: 1 } };
    case "not":
      return { bool: { must_not: [toSearchQuery(node.child)] } };
    case "text": {
      const field = node.messageOnly ? "message" : TEXT_FIELD;
      const { words } = node;
      const last = words[words.length - 1] as string;
      if (words.length === 1) {
        return node.prefix ? { prefix: { [field]: { value: last } } } : { term: { [field]: last } };
      }
      if (!node.prefix) return { match_phrase: { [field]: { query: words.join(" ") } } };
      return {
        span_near: {
          clauses: [
            ...words.slice(0, -1).map((w) => ({ span_term: { [field]: w } })),
            { span_multi: { match: { prefix: { [field]: { value: last } } } } },
          ],
          slop: 0,
          in_order: true,
        },
      };
    }
    case "equals":
      return { term: { [fieldName(node.field)]: node.value } };
    case "prefix":
      return { prefix: { [fieldName(node.field)]: { value: node.value } } };
    case "exists":
      // `exists` misses a flat_object subfield whose name has a dot (OpenSearch 2.19); an empty prefix
      // of the subfield finds every value it holds.
      return node.field.kind === "column"
        ? { exists: { field: node.field.name } }
        : { prefix: { [fieldName(node.field)]: { value: "" } } };
    case "range": {
      const range: Record<string, number> = {};
      if (node.lower) range[node.lower.inclusive ? "gte" : "gt"] = node.lower.value;
      if (node.upper) range[node.upper.inclusive ? "lte" : "lt"] = node.upper.value;
      return {
        nested: {
          path: NUMERIC_ATTRIBUTES_FIELD,
          query: {
            bool: {
              filter: [
                { term: { [`${NUMERIC_ATTRIBUTES_FIELD}.key`]: node.attribute } },
                { range: { [`${NUMERIC_ATTRIBUTES_FIELD}.value`]: range } },
              ],
            },
          },
        },
      };
    }
  }
}

function fieldName(field: Extract<QueryNode, { type: "equals" }>["field"]): string {
  return field.kind === "column" ? field.name : `attributes.${field.name}`;
}
