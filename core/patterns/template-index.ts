/**
 * The templates of one token count, and the search for the one a line matches. Each template is listed
 * under every (position, token) it holds, so a line only meets templates it shares a token with, and the
 * number of tokens it shares is counted on the way; only those that could reach the similarity threshold
 * (or cover the line outright) are compared token by token.
 */
import { covers, isValueToken, VALUE_WILDCARD, WILDCARD } from "./mask.ts";

export interface Template {
  id: string;
  tokens: string[];
  /** isValueToken of each token, kept because every comparison asks. */
  values: boolean[];
  count: number;
  /** Creation order: ties between equally good templates go to the older. */
  seq: number;
  /** Sibling groups (see PatternMiner) by position. */
  siblings: Map<number, SiblingGroup>;
  /** Tokens other than wildcards: a line must equal all of them for the template to cover it. */
  needed: number;
  /** Search scratch: the search that last met this template, and the tokens it shares with that line. */
  mark: number;
  hits: number;
}

/** Templates that differ in the word of one position only, and the words that position has shown. */
export interface SiblingGroup {
  position: number;
  words: Set<string>;
  members: Template[];
}

/** What a search found: the template to join, or else the one the line is a sibling of. */
export interface Search {
  join?: Template;
  /** The join covers the line as it stands (nothing to generalise). */
  exact: boolean;
  sibling?: Template;
  /** The position where the sibling differs in a word. */
  position: number;
}

// Numbers each search, so that a template's scratch fields tell whether this search has met it yet
// without clearing them between searches (one count for every index, so marks never collide).
let searches = 0;

export class LengthIndex {
  private readonly at: Map<string, Template[]>[] = [];
  /** Templates without a token other than the wildcard (or of no tokens at all). */
  private readonly bare: Template[] = [];
  /** Bumped whenever a template here generalises or goes, so cached matches are checked again. */
  version = 0;

  constructor(readonly length: number) {
    for (let i = 0; i < length; i++) this.at.push(new Map());
  }

  add(t: Template): void {
    t.needed = 0;
    for (const tok of t.tokens) if (tok !== WILDCARD && tok !== VALUE_WILDCARD) t.needed++;
    let listed = false;
    for (let i = 0; i < this.length; i++) {
      const tok = t.tokens[i]!;
      if (tok === WILDCARD) continue;
      listed = true;
      const list = this.at[i]!.get(tok);
      if (list) list.push(t);
      else this.at[i]!.set(tok, [t]);
    }
    if (!listed) this.bare.push(t);
  }

  remove(t: Template): void {
    let listed = false;
    for (let i = 0; i < this.length; i++) {
      const tok = t.tokens[i]!;
      if (tok === WILDCARD) continue;
      listed = true;
      const list = this.at[i]!.get(tok)!;
      list.splice(list.indexOf(t), 1);
      if (!list.length) this.at[i]!.delete(tok);
    }
    if (!listed) this.bare.splice(this.bare.indexOf(t), 1);
    this.version++;
  }

  /**
   * The best template for `tokens`: the most similar one that covers the line, or that differs from it
   * only in values with at least `similarity` of their tokens equal (positions where both hold the
   * wildcard left out); else the most similar one that differs in a single word, never the first (a
   * line's first word is its most telling). Ties go to the older template.
   */
  search(tokens: readonly string[], similarity: number): Search {
    const L = this.length;
    const mark = ++searches;
    const met: Template[] = [];
    for (let i = 0; i < L; i++) {
      const tok = tokens[i]!;
      if (tok === WILDCARD) continue;
      const list = this.at[i]!.get(tok);
      if (!list) continue;
      for (const t of list) {
        if (t.mark !== mark) {
          t.mark = mark;
          t.hits = 0;
          met.push(t);
        }
        t.hits++;
      }
    }
    if (!met.length && tokens.every((tok) => tok === WILDCARD)) met.push(...this.bare);

    const found: Search = { exact: false, position: -1 };
    let joinSim = -1;
    let siblingSim = -1;
    let lineWild = 0;
    for (const tok of tokens) if (tok === WILDCARD) lineWild++;
    const minSame = similarity * (L - lineWild);
    const lineValue = new Int8Array(L).fill(-1);
    for (const t of met) {
      // Short of the threshold, a template can still cover the line; it needs all its tokens for that.
      if (t.hits < minSame && t.hits < t.needed) continue;
      let differ = 0;
      let bothWild = 0;
      let wordAt = -1;
      for (let i = 0; i < L; i++) {
        const a = t.tokens[i]!;
        const m = tokens[i]!;
        if (a === m || covers(a, m)) {
          if (a === WILDCARD && m === WILDCARD) bothWild++;
          continue;
        }
        differ++;
        if (t.values[i]) continue;
        if (lineValue[i] === -1) lineValue[i] = isValueToken(m) ? 1 : 0;
        if (lineValue[i] === 1) continue;
        if (wordAt >= 0 || i === 0) {
          wordAt = -2;
          break;
        }
        wordAt = i;
      }
      if (wordAt === -2) continue;
      const sim = differ === 0 ? 2 : t.hits / (L - bothWild);
      if (sim < similarity) continue;
      if (wordAt < 0) {
        if (sim > joinSim || (sim === joinSim && t.seq < found.join!.seq)) {
          found.join = t;
          found.exact = differ === 0;
          joinSim = sim;
        }
      } else if (sim > siblingSim || (sim === siblingSim && t.seq < found.sibling!.seq)) {
        found.sibling = t;
        found.position = wordAt;
        siblingSim = sim;
      }
    }
    return found;
  }
}
