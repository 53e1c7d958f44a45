import type { LogFilter } from "../../ports/log-store.ts";
import { boundedSearchText } from "../../search-text.ts";

/** The field the search box queries: service and message, copied at index time (see mappings.ts). */
export const TEXT_FIELD = "search";

/**
 * simple_query_string operators we let through: AND/OR/NOT, phrases, grouping and escapes. Never PREFIX
 * (`*` alone would match every document), FUZZY, NEAR or SLOP: the search box does not offer them, and a
 * huge wildcard or fuzzy expansion is a resource-exhaustion hole.
 */
const FLAGS = "AND|OR|NOT|PHRASE|PRECEDENCE|ESCAPE|WHITESPACE";

function quote(text: string): string {
  return `"${text.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;
}

/**
 * The simple_query_string for search-box text, or null when it has no searchable word. Every term is
 * emitted as an escaped quoted phrase, so nothing the user typed is read as an operator: the only
 * operators are the ones written here (`-`, `|`, parentheses, implicit AND).
 */
export function toSimpleQueryString(text: string): string | null {
  const groups = boundedSearchText(text);
  if (groups.length === 0) return null;
  return groups
    .map((g) => `(${g.map((t) => `${t.negated ? "-" : ""}${quote(t.text)}`).join(" ")})`)
    .join(" | ");
}

type Clause = Record<string, unknown>;

/** The text as a query clause: simple_query_string with default AND over the search field. */
export function textClause(text: string): Clause {
  const q = toSimpleQueryString(text);
  if (q === null) return { match_none: {} };
  return {
    simple_query_string: {
      query: q,
      fields: [TEXT_FIELD],
      default_operator: "and",
      flags: FLAGS,
      analyze_wildcard: false,
      auto_generate_synonyms_phrase_query: false,
    },
  };
}

/** A filter as a `bool` query: the text scores nothing; everything else is a cached filter clause. */
export function filterQuery(f: LogFilter, extra: Clause[] = []): Clause {
  const filter: Clause[] = [...extra];
  // Blank text is no text filter (an empty search box).
  if (f.text?.trim()) filter.push(textClause(f.text));
  // Empty lists do not narrow: `?service=` parsed to [] means "no service filter".
  if (f.services?.length) filter.push({ terms: { service: f.services } });
  if (f.levels?.length) filter.push({ terms: { level: f.levels } });
  if (f.from !== undefined || f.to !== undefined) {
    filter.push({
      range: {
        timestamp: {
          ...(f.from !== undefined ? { gte: Math.trunc(f.from) } : {}),
          ...(f.to !== undefined ? { lte: Math.trunc(f.to) } : {}),
          format: "epoch_millis",
        },
      },
    });
  }
  if (f.correlationId !== undefined) filter.push({ term: { correlation_id: f.correlationId } });
  if (f.traceId !== undefined) filter.push({ term: { trace_id: f.traceId } });
  if (filter.length === 0) return { match_all: {} };
  return { bool: { filter } };
}
