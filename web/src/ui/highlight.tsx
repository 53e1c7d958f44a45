import { For, Show } from "solid-js";

/** What a query's text terms look for: whole words, and words a `*` term starts. */
export interface Highlights {
  words: ReadonlySet<string>;
  prefixes: readonly string[];
}

const WORD = /[\p{L}\p{M}\p{N}]+/gu;
export const NO_HIGHLIGHTS: Highlights = { words: new Set(), prefixes: [] };

/**
 * The words a query looks for in the message, for highlighting: its words and phrases (and
 * `message:` values), not those negated (`-x`, `NOT x`), not other fields' values nor operators. A
 * light reading of the query language (core/query/GRAMMAR.md); the search itself is the API's.
 */
export function highlightsOf(query: string): Highlights {
  if (!query.trim()) return NO_HIGHLIGHTS;
  const words = new Set<string>();
  const prefixes: string[] = [];
  const re = /(-|\bNOT\s+)?(?:([\p{L}_@][\p{L}\p{N}_.@/-]*):)?(\(|\)|"((?:[^"\\]|\\.)*)"?(\*)?|[^\s()"]+)/gu;
  // Open groups: whether each is negated, and the field it applies to (`service:( … )`).
  const groups: { negated: boolean; field?: string }[] = [];
  for (const m of query.matchAll(re)) {
    const [, neg, field, term, phrase, star] = m;
    const outer = groups[groups.length - 1];
    if (term === "(") {
      groups.push({ negated: !!neg || !!outer?.negated, field: field ?? outer?.field });
      continue;
    }
    if (term === ")") {
      groups.pop();
      continue;
    }
    const inField = field ?? outer?.field;
    if (neg || outer?.negated || (inField && inField !== "message")) continue;
    if (phrase === undefined && /^(AND|OR|NOT|or|and)$/.test(term!)) continue;
    const text = phrase ?? term!;
    const parts = [...text.toLowerCase().matchAll(WORD)].map((w) => w[0]);
    const prefix = phrase !== undefined ? star === "*" : text.endsWith("*");
    parts.forEach((w, i) => {
      if (prefix && i === parts.length - 1) prefixes.push(w);
      else words.add(w);
    });
  }
  return { words, prefixes };
}

/** `text` cut into runs that are, or are not, a highlighted word. */
export function highlightRuns(text: string, h: Highlights): { text: string; hit: boolean }[] {
  if (h.words.size === 0 && h.prefixes.length === 0) return [{ text, hit: false }];
  const out: { text: string; hit: boolean }[] = [];
  let at = 0;
  for (const m of text.matchAll(WORD)) {
    const w = m[0].toLowerCase();
    if (!h.words.has(w) && !h.prefixes.some((p) => w.startsWith(p))) continue;
    if (m.index! > at) out.push({ text: text.slice(at, m.index), hit: false });
    out.push({ text: m[0], hit: true });
    at = m.index! + m[0].length;
  }
  if (at < text.length) out.push({ text: text.slice(at), hit: false });
  return out;
}

/** Text with the query's words marked (`<mark>`). */
export function Highlight(props: { text: string; highlights: Highlights }) {
  return (
    <Show
      when={props.highlights.words.size > 0 || props.highlights.prefixes.length > 0}
      fallback={props.text}
    >
      <For each={highlightRuns(props.text, props.highlights)}>
        {(r) => (r.hit ? <mark>{r.text}</mark> : r.text)}
      </For>
    </Show>
  );
}
