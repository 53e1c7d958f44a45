/**
 * What the search box matches in Postgres, and the one place that decides it: the writer turns service
 * and message into a tsvector here, and a search text becomes a tsquery here, so the two always agree.
 *
 * A word is a run of letters, marks and digits (Unicode), lower-cased; everything else separates words.
 * That is what someone grepping logs expects: `u_56441` is the words `u` `56441`, so searching 56441
 * finds it inside `/api/v1/users/u_56441/profile`, and NullPointerException finds
 * `java.lang.NullPointerException`. A search term with several words (`u_56441`, `203.0.113.45`, a
 * quoted phrase) matches them adjacent and in order. Postgres's own parser (to_tsvector) kept a path, a
 * host, an email or a dotted class name as one token, so none of those searches found anything there;
 * it also cost Postgres ~13 µs per stored event, a third of its work per row.
 */

import { AppError } from "./errors.ts";

/** The search box's syntax (websearch-like): ANDed words, "phrases", `or`, and `-` to exclude. */
export interface SearchTerm {
  negated: boolean;
  text: string;
}

// A term with no letter or digit (only punctuation and symbols) has no word, so it adds nothing.
const SEARCHABLE = /[\p{L}\p{N}]/u;

/**
 * Read search-box text the way Postgres's websearch_to_tsquery does: words are ANDed, "quoted phrases"
 * (an unclosed quote runs to the end), `or` between alternatives, `-word` / `-"phrase"` to exclude.
 * Returns OR-ed groups of ANDed terms; empty when no term has a searchable character.
 */
export function parseSearchText(text: string): SearchTerm[][] {
  const groups: SearchTerm[][] = [[]];
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

/**
 * Most words and phrases in one search text. Each is a clause of a search engine's boolean query (1,024
 * by default) or an operand of Postgres's tsquery: past this the text is refused as a bad request.
 */
export const MAX_SEARCH_TERMS = 256;

/** parseSearchText, refused as a bad request with more than MAX_SEARCH_TERMS words and phrases. */
export function boundedSearchText(text: string): SearchTerm[][] {
  const groups = parseSearchText(text);
  const terms = groups.flat().length;
  if (terms > MAX_SEARCH_TERMS) {
    throw new AppError("BAD_REQUEST", `query: ${terms} words and phrases, at most ${MAX_SEARCH_TERMS}`);
  }
  return groups;
}

const WORD_CHAR = /^[\p{L}\p{M}\p{N}]$/u;
/** ASCII: 0 separates, 1 is part of a word, 2 is an upper-case letter. */
const ASCII = new Uint8Array(128);
for (let c = 48; c <= 57; c++) ASCII[c] = 1;
for (let c = 97; c <= 122; c++) ASCII[c] = 1;
for (let c = 65; c <= 90; c++) ASCII[c] = 2;

/**
 * Longest lexeme Postgres takes, in UTF-8 bytes (2,047 on 15, 2,046 on 17): to_tsvector drops longer
 * words, and so do we.
 */
const MAX_LEXEME_BYTES = 2046;

function utf8Bytes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** UTF-16 units of the word character at i: 0 if it separates words, 2 for a letter or digit outside the BMP. */
function widthAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c < 128) return ASCII[c] === 0 ? 0 : 1;
  if (c >= 0xd800 && c <= 0xdbff) {
    const d = s.charCodeAt(i + 1);
    return d >= 0xdc00 && d <= 0xdfff && WORD_CHAR.test(s.slice(i, i + 2)) ? 2 : 0;
  }
  return WORD_CHAR.test(s[i] as string) ? 1 : 0;
}

/** The word nextWord found, lower-cased; empty when it is too long for Postgres (it still takes a position). */
let found = "";

/**
 * The index just past the next word of `text` at or after `i`, with the word in `found`; -1 when there
 * is none. The one scan behind both the stored words and the searched ones, so the two cannot differ.
 * It runs for every stored event (~1 µs for a usual line): ASCII is read from a table, and only a word
 * with an upper-case or non-ASCII character is lower-cased.
 */
function nextWord(text: string, i: number): number {
  const n = text.length;
  let width = 0;
  for (; i < n; i++) {
    width = widthAt(text, i);
    if (width > 0) break;
  }
  if (i >= n) return -1;
  const start = i;
  let plain = true; // nothing to lower-case
  for (;;) {
    const c = text.charCodeAt(i);
    if (c >= 128 || ASCII[c] === 2) plain = false;
    i += width;
    if (i >= n) break;
    width = widthAt(text, i);
    if (width === 0) break;
  }
  let w = text.slice(start, i);
  if (!plain) w = w.toLowerCase();
  found = w.length * 3 > MAX_LEXEME_BYTES && utf8Bytes(w) > MAX_LEXEME_BYTES ? "" : w;
  return i;
}

/** The words of a text, in order (too long ones left out). */
export function searchWords(text: string): string[] {
  const out: string[] = [];
  for (let i = nextWord(text, 0); i >= 0; i = nextWord(text, i)) if (found) out.push(found);
  return out;
}

/**
 * The words of a text by position, as the stored tsvector numbers them: a word too long to store is an
 * empty string (it keeps its position, so the words either side of it are not adjacent).
 */
export function searchWordSlots(text: string): string[] {
  const out: string[] = [];
  for (let i = nextWord(text, 0); i >= 0; i = nextWord(text, i)) out.push(found);
  return out;
}

/**
 * A word as a tsquery operand. Words hold only letters, marks and digits, so quoting never meets a quote
 * or a backslash; it is escaped anyway, so that a change here cannot make a word an operator.
 */
export function tsqueryLexeme(w: string): string {
  return `'${w.replace(/['\\]/g, (c) => `${c}${c}`)}'`;
}

/**
 * The tsvector of service and message as Postgres's input syntax (`'api':1A 'gateway':2A 'get':4`):
 * service words carry weight A and message words the default D, so that a query can restrict a word to
 * the message (`'word':D`); one position is left empty between them, so that no phrase spans the end of
 * the service and the start of the message (as a search engine's position gap between two values keeps
 * them apart). Postgres merges a word's positions, caps them at 16,383 and keeps 256 per word, as
 * to_tsvector does. Words hold only letters, marks and digits, so nothing needs escaping, for COPY either.
 * Migration 7's logflow_search_words makes the same text in SQL.
 */
export function tsvectorText(service: string, message: string): string {
  // Entries joined once, not `out +=` word by word: that made a rope, a few heap cells per word, which
  // lived as long as the row did (~600 per 1 KB message: 4 million cells, ~140 MB of the API's heap for
  // one 10 MB ingest) and took three times the CPU to build.
  const out: string[] = [];
  let position = 0;
  for (let i = nextWord(service, 0); i >= 0; i = nextWord(service, i)) {
    position++;
    if (found) out.push(`'${found}':${position}A`);
  }
  position++;
  for (let i = nextWord(message, 0); i >= 0; i = nextWord(message, i)) {
    position++;
    if (found) out.push(`'${found}':${position}`);
  }
  if (out.length === 0) return "";
  out.push(""); // every entry ends with a space, the last one too
  return out.join(" ");
}

/**
 * The tsquery for search-box text, or null when it has no searchable word (which matches nothing). A
 * term of several words is a phrase: the words adjacent, in order.
 */
export function tsqueryText(text: string): string | null {
  const ors: string[] = [];
  for (const g of boundedSearchText(text)) {
    const ands: string[] = [];
    for (const t of g) {
      const words = searchWords(t.text);
      if (words.length === 0) continue;
      const phrase = words.map(tsqueryLexeme).join(" <-> ");
      ands.push(t.negated ? `!(${phrase})` : `(${phrase})`);
    }
    if (ands.length) ors.push(`(${ands.join(" & ")})`);
  }
  return ors.length ? ors.join(" | ") : null;
}
