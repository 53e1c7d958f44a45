/**
 * The query language's one syntax tree: the parser (parse.ts) makes it, the reference evaluator
 * (evaluate.ts) defines what it means, and each engine compiles it (postgres.ts, search-engine.ts).
 * Searches, counts, stats, tails, alert rules and saved searches all take this tree, never raw text.
 */

/**
 * Fields that are columns of every event, queried by name (`host:web-3`); anything else is an attribute.
 * `pattern` is the id of the template the message belongs to (core/patterns), absent on events stored
 * before patterns were mined.
 */
export const COLUMN_FIELDS = [
  "service",
  "level",
  "host",
  "trace_id",
  "correlation_id",
  "request_id",
  "span_id",
  "pattern",
] as const;
export type ColumnField = (typeof COLUMN_FIELDS)[number];

/** Names an attribute even where a column or `message` has the same name (`attributes.service`). */
export const ATTRIBUTES_PREFIX = "attributes.";

/** The attribute a field name names: without its `attributes.` prefix (kept when nothing follows it). */
export function attributeKeyOf(name: string): string {
  return name.startsWith(ATTRIBUTES_PREFIX) && name.length > ATTRIBUTES_PREFIX.length
    ? name.slice(ATTRIBUTES_PREFIX.length)
    : name;
}

/** Columns that every event has (never null), so `field:*` is every event. */
export const ALWAYS_PRESENT: ReadonlySet<ColumnField> = new Set(["service", "level"]);

/** A field a term tests: a column of the event, or one of its attributes by flattened name (`http.status`). */
export type Field = { kind: "column"; name: ColumnField } | { kind: "attribute"; name: string };

/** One end of a numeric range. */
export interface Bound {
  value: number;
  inclusive: boolean;
}

export type QueryNode =
  /** Every event (a blank query, or `service:*`). */
  | { type: "all" }
  /** No event (a query whose only terms have no word, such as `%`: nothing can be shown to hold them). */
  | { type: "none" }
  /** Every child holds; at least two children. */
  | { type: "and"; children: QueryNode[] }
  /** At least one child holds; at least two children. */
  | { type: "or"; children: QueryNode[] }
  | { type: "not"; child: QueryNode }
  /**
   * Full text: the words (core/search-text.ts: lower-cased runs of letters, marks and digits) appear
   * adjacent and in order in the service or in the message (`messageOnly`: in the message), never
   * spanning the two. With `prefix`, the last word is a prefix of a stored word (at least 2 characters).
   */
  | { type: "text"; words: string[]; prefix: boolean; messageOnly: boolean }
  /**
   * The field's value is exactly `value` (case-sensitive). An attribute's number or boolean compares by
   * its text as JavaScript writes it (`500`, `1.5`, `1e+21`, `true`); a level is one of LEVELS.
   */
  | { type: "equals"; field: Field; value: string }
  /** The field's value (as text, as for `equals`) starts with `value` (at least 2 characters). */
  | { type: "prefix"; field: Field; value: string }
  /** The field is present: an attribute with this name, or a column that is not null. */
  | { type: "exists"; field: Field }
  /**
   * The attribute's numeric value lies within the bounds: a number, or a numeric string
   * (NUMERIC_STRING, values.ts) read as a number; any other value, or no attribute, is outside.
   */
  | { type: "range"; attribute: string; lower?: Bound; upper?: Bound };

export type TextNode = Extract<QueryNode, { type: "text" }>;

/** Longest query text, in characters (as the API's `query` parameter). */
export const MAX_QUERY_CHARS = 4096;
/** Deepest nesting of groups: deeper is refused rather than risking an engine's own nesting limits. */
export const MAX_QUERY_DEPTH = 32;

/** The leaves of a tree, left to right. */
export function leaves(node: QueryNode): QueryNode[] {
  switch (node.type) {
    case "and":
    case "or":
      return node.children.flatMap(leaves);
    case "not":
      return leaves(node.child);
    default:
      return [node];
  }
}
