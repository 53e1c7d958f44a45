import type { LogEvent } from "../log-event.ts";
import type { QueryNode } from "./ast.ts";
import { attributeNumber, attributeText } from "./values.ts";

/** A clause of the Elasticsearch/OpenSearch query DSL. */
export type Clause = Record<string, unknown>;

/** The field the search box queries: service and message, copied at index time (adapters/search/mappings.ts). */
const TEXT_FIELD = "search";
/** Numeric attributes, one nested (key, value) pair each: what ranges (and numeric aggregations) read. */
export const NUMERIC_ATTRIBUTES_FIELD = "attributes_numeric";
/**
 * Every attribute as one keyword `<key>\u0000<value as text>` (KEYWORD_PAIR_SEPARATOR): what grouping
 * by an attribute reads (terms over one key's pairs, `include` by the key's prefix).
 */
export const KEYWORD_ATTRIBUTES_FIELD = "attributes_keyword";
/**
 * Between key and value in KEYWORD_ATTRIBUTES_FIELD. No field name the API takes contains it (a NUL in
 * a query parameter is a 400, and Postgres cannot store it), so `<key>\u0000` is the prefix of that key's
 * pairs and of no other key's.
 */
export const KEYWORD_PAIR_SEPARATOR = "\u0000";
/**
 * Longest pair indexed in KEYWORD_ATTRIBUTES_FIELD, in characters (Lucene refuses a term over 32,766
 * bytes, and a refused term would refuse the event): a longer value is stored and searchable but
 * groups as if absent.
 */
export const KEYWORD_PAIR_MAX_CHARS = 8191;

/**
 * What the index mapping needs for these queries beyond the template in adapters/search/mappings.ts:
 * - `message` analyzed into the words the Postgres store makes (the `logflow_words` analyzer the
 *   `search` field already has), so `message:"card declined"` finds the same events everywhere;
 * - numeric attributes as nested (key, value) pairs with a double value: `flat_object`/`flattened` index
 *   every leaf as a keyword, on which a range compares text (`"90" > "250"`). Nested pairs keep one
 *   field however many keys shippers invent (no mapping explosion) and let the engine aggregate a
 *   numeric attribute (avg, percentiles), at the cost of one hidden Lucene document per pair.
 * - every attribute also as a `key\u0000value` keyword in one multi-valued field on the event's own
 *   document (no hidden documents, one field however many keys): OpenSearch's `flat_object` cannot be
 *   aggregated (2.19 answers `java.lang.Object@…` keys for its subfields, and a composite source over
 *   one fails), and this dev node has no Painless for a scripted source. Elasticsearch's `flattened`
 *   could group by `attributes.<key>` itself (its documentation lists terms aggregations on keyed
 *   subfields); both engines read this field instead, so they answer alike.
 * Indices made before keep their mapping: message keeps the standard analyzer, and ranges find nothing
 * in them, until retention drops them. The store adds the later fields to them (an added field is
 * allowed), but the documents already in them have no values there: grouped by an attribute they count
 * as missing it (the null group), until retention drops their day.
 */
export const QUERY_MAPPING = {
  messageAnalyzer: "logflow_words",
  properties: {
    [NUMERIC_ATTRIBUTES_FIELD]: {
      type: "nested",
      properties: { key: { type: "keyword" }, value: { type: "double" } },
    },
    [KEYWORD_ATTRIBUTES_FIELD]: { type: "keyword", ignore_above: KEYWORD_PAIR_MAX_CHARS },
  },
} as const;

/** The keywords a document carries in KEYWORD_ATTRIBUTES_FIELD: `key\u0000value` for every attribute. */
export function keywordAttributes(attributes: LogEvent["attributes"]): string[] {
  const out: string[] = [];
  for (const key in attributes) {
    if (!Object.hasOwn(attributes, key) || key.includes(KEYWORD_PAIR_SEPARATOR)) continue;
    out.push(keywordPairPrefix(key) + attributeText(attributes[key] as LogEvent["attributes"][string]));
  }
  return out;
}

/** What every pair of one attribute starts with in KEYWORD_ATTRIBUTES_FIELD. */
export function keywordPairPrefix(key: string): string {
  return `${key}${KEYWORD_PAIR_SEPARATOR}`;
}

/** A Lucene regular expression matching exactly `text` (every ASCII punctuation escaped). */
export function literalRegex(text: string): string {
  return text.replace(/[^\p{L}\p{M}\p{N}_]/gu, (c) => (c.charCodeAt(0) < 128 ? `\\${c}` : c));
}

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
