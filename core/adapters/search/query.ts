import { AppError } from "../../errors.ts";
import type { LogFilter } from "../../ports/log-store.ts";

/** The field the search box queries: service and message, copied at index time (see mappings.ts). */
export const TEXT_FIELD = "search";

/**
 * simple_query_string operators we let through: AND/OR/NOT, phrases, grouping and escapes. Never PREFIX
 * (`*` alone would match every document), FUZZY, NEAR or SLOP: the search box does not offer them, and a
 * huge wildcard or fuzzy expansion is a resource-exhaustion hole.
 */
const FLAGS = "AND|OR|NOT|PHRASE|PRECEDENCE|ESCAPE|WHITESPACE";

interface Term {
  negated: boolean;
  text: string;
}

// A term the standard analyzer turns into no token at all (only punctuation and symbols) adds nothing to
// a query; dropping it here keeps "*:*" or "-" from becoming a query that matches nothing or everything.
const SEARCHABLE = /[\p{L}\p{N}]/u;

/**
 * Read search-box text the way Postgres's websearch_to_tsquery does: words are ANDed, "quoted phrases"
 * (an unclosed quote runs to the end), `or` between alternatives, `-word` / `-"phrase"` to exclude.
 * Returns OR-ed groups of ANDed terms; empty when no term has a searchable character.
 */
export function parseSearchText(text: string): Term[][] {
  const groups: Term[][] = [[]];
  let negated = false;
  let i = 0;
  const s = text;
  while (i < s.length) {
    const c = s[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"') {
      const end = s.indexOf('"', i + 1);
      const phrase = s.slice(i + 1, end < 0 ? s.length : end);
      groups[groups.length - 1]?.push({ negated, text: phrase });
      negated = false;
      i = end < 0 ? s.length : end + 1;
      continue;
    }
    if (c === "-") {
      // Only a dash right before a word or phrase excludes; a dash on its own is punctuation.
      const next = s[i + 1];
      negated = next !== undefined && !/\s/.test(next);
      i++;
      continue;
    }
    let j = i;
    while (j < s.length && !/\s/.test(s[j] as string) && s[j] !== '"') j++;
    const word = s.slice(i, j);
    i = j;
    if (word.toLowerCase() === "or" && !negated) {
      groups.push([]);
      continue;
    }
    groups[groups.length - 1]?.push({ negated, text: word });
    negated = false;
  }
  return groups.map((g) => g.filter((t) => SEARCHABLE.test(t.text))).filter((g) => g.length > 0);
}

function quote(text: string): string {
  return `"${text.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;
}

/**
 * Most words and phrases in one search text. Each is one clause of the engine's boolean query, whose
 * clause limit is 1,024 by default: past this the text is refused as a bad request, not sent.
 */
export const MAX_SEARCH_TERMS = 256;

/**
 * The simple_query_string for search-box text, or null when it has no searchable word. Every term is
 * emitted as an escaped quoted phrase, so nothing the user typed is read as an operator: the only
 * operators are the ones written here (`-`, `|`, parentheses, implicit AND).
 */
export function toSimpleQueryString(text: string): string | null {
  const groups = parseSearchText(text);
  if (groups.length === 0) return null;
  const terms = groups.reduce((n, g) => n + g.length, 0);
  if (terms > MAX_SEARCH_TERMS) {
    throw new AppError("BAD_REQUEST", `query: ${terms} words and phrases, at most ${MAX_SEARCH_TERMS}`);
  }
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
