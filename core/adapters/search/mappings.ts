import type { LogEvent } from "../../log-event.ts";
import { QUERY_MAPPING } from "../../query/search-engine.ts";
import type { EngineFlavor } from "./backend.ts";

export const DAY_MS = 86_400_000;

/** `${prefix}-YYYY.MM.DD`: the daily index of an event, by the event's own UTC day (not ingest time). */
export function dayIndex(prefix: string, ts: number): string {
  const d = new Date(Math.floor(ts / DAY_MS) * DAY_MS).toISOString();
  return `${prefix}-${d.slice(0, 4)}.${d.slice(5, 7)}.${d.slice(8, 10)}`;
}

/** The UTC day start (epoch ms) of one of our daily indices, or null for any other index name. */
export function dayOfIndex(prefix: string, name: string): number | null {
  if (!name.startsWith(`${prefix}-`)) return null;
  const m = /^(\d{4})\.(\d{2})\.(\d{2})$/.exec(name.slice(prefix.length + 1));
  if (!m) return null;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isFinite(t) && dayIndex(prefix, t) === name ? t : null;
}

/** Lucene's longest term, in UTF-8 bytes: a document with a longer one is refused whole. */
const MAX_TERM_BYTES = 32_766;
/**
 * Longest text one keyword term holds whatever its characters (at most 4 UTF-8 bytes each): 8,191. The
 * message is kept in `message.keyword` (top messages) up to it; an attribute value too long to index is
 * cut to it in the indexed copy.
 */
const KEYWORD_MAX_CHARS = Math.floor(MAX_TERM_BYTES / 4);
/**
 * The event's attributes as written, when the indexed `attributes` had to be cut (indexedAttributes):
 * kept in `_source` only (`enabled: false`: not parsed, not indexed), read back instead of the cut copy.
 */
export const WHOLE_ATTRIBUTES_FIELD = "attributes_whole";

/**
 * The attributes as `flat_object`/`flattened` can index them, or null when they can as they are. Both
 * index each leaf as one keyword term (OpenSearch also as `attributes.<key>=<value>`), and Lucene
 * refuses a document with a term over 32,766 bytes: the whole event would be refused, where Postgres
 * stores it. A value that long is cut to its first KEYWORD_MAX_CHARS characters in the indexed
 * copy (found by a prefix or existence query, not by `equals` on the whole value), and the event is
 * read back whole from WHOLE_ATTRIBUTES_FIELD.
 */
export function indexedAttributes(attributes: LogEvent["attributes"]): LogEvent["attributes"] | null {
  let cut: LogEvent["attributes"] | null = null;
  for (const key in attributes) {
    const v = attributes[key];
    // Three UTF-8 bytes per UTF-16 unit at most: only a value past a third of the limit can reach it.
    if (typeof v !== "string" || v.length + key.length <= MAX_TERM_BYTES / 3 - 16) continue;
    const bytes = utf8.encode(`attributes.${key}=${v}`).length;
    if (bytes <= MAX_TERM_BYTES) continue;
    cut ??= { ...attributes };
    // Not between the two halves of a surrogate pair.
    const end = /[\uD800-\uDBFF]/.test(v.charAt(KEYWORD_MAX_CHARS - 1))
      ? KEYWORD_MAX_CHARS - 1
      : KEYWORD_MAX_CHARS;
    cut[key] = v.slice(0, end);
  }
  return cut;
}

const utf8 = new TextEncoder();

const keyword = { type: "keyword" } as const;

/**
 * The composable index template for the daily indices. Every index it creates joins the read alias (the
 * prefix itself), so reads address exactly our indices, not another prefix's that happens to start the
 * same way (`logflow-logs-*` would also match `logflow-logs-staging-…`).
 *
 * - `dynamic: strict`: a document with a field we did not map is rejected (reported per item), never
 *   silently grows the mapping.
 * - service and message are copied into one `search` text field, which the search box queries; the copy
 *   is indexed, not stored. Its analyzer makes the words the Postgres store makes (core/search-text.ts):
 *   runs of letters, marks and digits, lower-cased, no stemming, words past Postgres's 2,046 bytes left out.
 *   The standard analyzer kept `java.lang.NullPointerException` and `u_56441` whole, so searching
 *   NullPointerException or 56441 missed them. Indices made before keep the analyzer they were made with.
 * - attributes: `flattened` (Elasticsearch) or `flat_object` (OpenSearch): one field, every leaf a
 *   keyword, however many keys shippers invent (no mapping explosion); `_source` keeps the types. A
 *   value too long for one term is cut there and kept whole in WHOLE_ATTRIBUTES_FIELD (indexedAttributes).
 * - numeric attributes (numbers and numeric strings) also as nested (key, value) pairs in
 *   `attributes_numeric` (core/query/search-engine.ts): what ranges and numeric aggregations read;
 *   every attribute also as a `key\u0000value` keyword in `attributes_keyword`: what grouping reads.
 *   The store strips both from what it reads back.
 * - `shards` primary shards per day (SEARCH_INDEX_SHARDS, default 1; keep each under ~50 GB);
 *   `auto_expand_replicas 0-1` is green on one node and keeps a replica on more.
 */
export function indexTemplate(prefix: string, flavor: EngineFlavor, refreshInterval: string, shards = 1) {
  return {
    index_patterns: [`${prefix}-*`],
    // A longer prefix's template wins over a shorter one that also matches its indices.
    priority: 100 + prefix.length,
    template: {
      settings: {
        number_of_shards: shards,
        auto_expand_replicas: "0-1",
        refresh_interval: refreshInterval,
        analysis: {
          tokenizer: { logflow_words: { type: "pattern", pattern: "[^\\p{L}\\p{M}\\p{N}]+" } },
          filter: { logflow_word_length: { type: "length", max: 2046 } },
          analyzer: {
            logflow_words: {
              type: "custom",
              tokenizer: "logflow_words",
              filter: ["lowercase", "logflow_word_length"],
            },
          },
        },
      },
      aliases: { [prefix]: {} },
      mappings: {
        dynamic: "strict",
        properties: {
          id: keyword,
          // To the nanosecond (LogFlow keeps microseconds). Indices made before keep `date` (a field's type
          // cannot change): their events read back whole milliseconds; see the README's "Microseconds".
          timestamp: { type: "date_nanos", format: "strict_date_optional_time_nanos||epoch_millis" },
          received_at: { type: "date", format: "strict_date_optional_time||epoch_millis", index: false },
          service: { ...keyword, copy_to: "search" },
          level: keyword,
          message: {
            type: "text",
            // The words the search field has, so that `message:"card declined"` finds what it finds on Postgres.
            analyzer: QUERY_MAPPING.messageAnalyzer,
            copy_to: "search",
            fields: { keyword: { type: "keyword", ignore_above: KEYWORD_MAX_CHARS } },
          },
          search: { type: "text", analyzer: "logflow_words" },
          host: keyword,
          correlation_id: keyword,
          request_id: keyword,
          trace_id: keyword,
          span_id: keyword,
          pattern: keyword,
          attributes: flavor === "opensearch" ? { type: "flat_object" } : { type: "flattened" },
          [WHOLE_ATTRIBUTES_FIELD]: { type: "object", enabled: false },
          ...QUERY_MAPPING.properties,
        },
      },
    },
  };
}
