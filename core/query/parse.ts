import { AppError } from "../errors.ts";
import { LEVELS, normalizeLevel } from "../level.ts";
import { MAX_SEARCH_TERMS, searchWordSlots } from "../search-text.ts";
import {
  ALWAYS_PRESENT,
  attributeKeyOf,
  type Bound,
  COLUMN_FIELDS,
  type ColumnField,
  type Field,
  MAX_QUERY_CHARS,
  MAX_QUERY_DEPTH,
  type QueryNode,
} from "./ast.ts";
import { parseNumberLiteral } from "./values.ts";

/**
 * A query that cannot be parsed: a 400 problem whose `errors` entry names the position (a 0-based index
 * into the text, in UTF-16 code units as JavaScript counts them) and what was expected there.
 */
export class QueryError extends AppError {
  constructor(
    readonly position: number,
    readonly expected: string,
    readonly found: string,
  ) {
    const message = `at ${position}: expected ${expected}, found ${found}`;
    super("BAD_REQUEST", `query: ${message}`, {
      errors: [{ field: "query", message, position, expected }],
    });
    this.name = "QueryError";
  }
}

/** Field names: a letter, `_` or `@`, then letters, marks, digits and `_ . @ / -`, then the colon. */
const FIELD_NAME = /[\p{L}_@][\p{L}\p{M}\p{N}_.@/-]*:/uy;
/** What core/search-text.ts counts as part of a word. */
const ENDS_IN_WORD_CHAR = /[\p{L}\p{M}\p{N}]$/u;
/** The longest attribute name an event may carry (LogEventInputSchema). */
const MAX_FIELD_CHARS = 128;

type Keyword = "AND" | "NOT" | "and" | "or";
const KEYWORDS: Keyword[] = ["AND", "NOT", "and", "or"];

/** The field a term after `name:` tests; `message` restricts text to the message. */
type Target = Field | { kind: "message" };

function isSpace(c: string | undefined): boolean {
  return c !== undefined && /\s/.test(c);
}

function chars(s: string): number {
  return [...s].length;
}

/**
 * Parse query text into its tree (grammar: core/query/GRAMMAR.md). Blank text is every event; text
 * whose terms hold no word (`%`) is no event, as in the search box before. Throws QueryError (400) for
 * text that cannot be parsed, that is longer than MAX_QUERY_CHARS, has more than MAX_SEARCH_TERMS terms
 * or nests groups deeper than MAX_QUERY_DEPTH. Never reads anything as SQL or as an engine's language.
 */
export function parseLogQuery(text: string): QueryNode {
  if (text.length > MAX_QUERY_CHARS) {
    throw new QueryError(MAX_QUERY_CHARS, `at most ${MAX_QUERY_CHARS} characters`, `${text.length}`);
  }
  if (text.trim() === "") return { type: "all" };
  return simplify(new Parser(text).parse()) ?? { type: "none" };
}

class Parser {
  private i = 0;
  private depth = 0;
  private terms = 0;

  constructor(private readonly s: string) {}

  parse(): QueryNode {
    const node = this.parseOr(null);
    this.skipSpace();
    // Outside any group every `)` belongs to a word, so the whole text has been read here.
    if (this.i < this.s.length) this.fail(this.i, "the end of the query");
    return node;
  }

  private fail(position: number, expected: string): never {
    const token = /^\S{1,32}/u.exec(this.s.slice(position))?.[0];
    throw new QueryError(
      position,
      expected,
      token === undefined ? "the end of the query" : JSON.stringify(token),
    );
  }

  private skipSpace(): void {
    while (isSpace(this.s[this.i])) this.i++;
  }

  /** Whether position j ends a keyword: the end, a space, a parenthesis or a quote. */
  private boundary(j: number): boolean {
    const c = this.s[j];
    return c === undefined || isSpace(c) || c === "(" || c === ")" || c === '"';
  }

  /**
   * AND and NOT in capitals; `or` in any case and `and` in any other case (`And`). OR is the search box's
   * operator from before, so it keeps its leniency there: ignored where no term follows or precedes it.
   */
  private keywordAt(j: number): Keyword | null {
    for (const k of KEYWORDS) {
      if (!this.boundary(j + k.length)) continue;
      const word = this.s.slice(j, j + k.length);
      if (word === k) return k;
      if (k === "or" && word.toLowerCase() === "or") return k;
      if (k === "and" && word.toLowerCase() === "and" && word !== "AND") return k;
    }
    return null;
  }

  /** Whether a term (or NOT) starts at j, after spaces. */
  private operandAt(j: number): boolean {
    while (isSpace(this.s[j])) j++;
    const c = this.s[j];
    if (c === undefined || (c === ")" && this.depth > 0)) return false;
    const k = this.keywordAt(j);
    return k === null || k === "NOT";
  }

  private nextNonSpace(j: number): number {
    while (isSpace(this.s[j])) j++;
    return j;
  }

  private parseOr(field: Target | null): QueryNode {
    const children = [this.parseAnd(field)];
    for (;;) {
      this.skipSpace();
      // parseAnd stops at `or` only when a term follows it.
      if (this.keywordAt(this.i) !== "or") break;
      this.i += 2;
      children.push(this.parseAnd(field));
    }
    return children.length === 1 ? (children[0] as QueryNode) : { type: "or", children };
  }

  private parseAnd(field: Target | null): QueryNode {
    const children: QueryNode[] = [];
    for (;;) {
      this.skipSpace();
      const c = this.s[this.i];
      if (c === undefined || (c === ")" && this.depth > 0)) break;
      const k = this.keywordAt(this.i);
      // `or` and `and` are operators between two terms, as `or` was in the search box before, and are
      // ignored anywhere else (`error or`); AND between terms is what juxtaposition means anyway.
      if (k === "or") {
        if (children.length > 0 && this.operandAt(this.i + 2)) break;
        this.i += 2;
        continue;
      }
      if (k === "and") {
        this.i += 3;
        continue;
      }
      if (k === "AND") {
        if (children.length === 0) this.fail(this.i, "a term before AND");
        this.i += 3;
        if (!this.operandAt(this.i)) this.fail(this.nextNonSpace(this.i), "a term after AND");
        continue;
      }
      children.push(this.parseUnary(field));
    }
    return children.length === 1 ? (children[0] as QueryNode) : { type: "and", children };
  }

  private parseUnary(field: Target | null): QueryNode {
    const s = this.s;
    if (this.keywordAt(this.i) === "NOT") {
      this.i += 3;
      if (!this.operandAt(this.i)) this.fail(this.nextNonSpace(this.i), "a term after NOT");
      this.skipSpace();
      return { type: "not", child: this.parseUnary(field) };
    }
    // A dash excludes only right before a term; on its own it is punctuation, as before.
    const next = s[this.i + 1];
    if (s[this.i] === "-" && next !== undefined && !isSpace(next) && !(next === ")" && this.depth > 0)) {
      this.i++;
      return { type: "not", child: this.parseUnary(field) };
    }
    return this.parsePrimary(field);
  }

  private parsePrimary(field: Target | null): QueryNode {
    const s = this.s;
    const start = this.i;
    if (s[start] === "(") return this.parseGroup(field);
    if (field) return this.parseValue(field);
    if (s[start] === '"') {
      const { text, prefix } = this.readQuoted();
      return this.textTerm(text, prefix, false, start);
    }
    FIELD_NAME.lastIndex = start;
    const m = FIELD_NAME.exec(s);
    if (m) {
      const v = start + m[0].length;
      const c = s[v];
      // `error:` (nothing after the colon) and `https://…` stay text, as before.
      if (c !== undefined && !isSpace(c) && !(c === ")" && this.depth > 0) && !s.startsWith("//", v)) {
        const target = this.resolveField(m[0].slice(0, -1), start);
        this.i = v;
        return s[v] === "(" ? this.parseGroup(target) : this.parseValue(target);
      }
    }
    const token = this.readBare();
    const prefix = token.endsWith("*") && ENDS_IN_WORD_CHAR.test(token.slice(0, -1));
    return this.textTerm(prefix ? token.slice(0, -1) : token, prefix, false, start);
  }

  private parseGroup(field: Target | null): QueryNode {
    const open = this.i;
    if (this.depth >= MAX_QUERY_DEPTH) this.fail(open, `groups nested at most ${MAX_QUERY_DEPTH} deep`);
    this.i++;
    this.depth++;
    const node = this.parseOr(field);
    this.skipSpace();
    if (this.s[this.i] !== ")") this.fail(this.i, `")" to close the "(" at ${open}`);
    this.i++;
    this.depth--;
    return node;
  }

  private resolveField(name: string, at: number): Target {
    if (name === "message") return { kind: "message" };
    if ((COLUMN_FIELDS as readonly string[]).includes(name))
      return { kind: "column", name: name as ColumnField };
    const key = attributeKeyOf(name);
    if (chars(key) > MAX_FIELD_CHARS) this.fail(at, `a field name of at most ${MAX_FIELD_CHARS} characters`);
    return { kind: "attribute", name: key };
  }

  /**
   * A bare word or value: up to a space or a quote; a `)` ends it only when it closes a group (one
   * opened inside the word, as in `fn(x)`, belongs to the word).
   */
  private readBare(): string {
    const s = this.s;
    const start = this.i;
    let open = 0;
    for (; this.i < s.length; this.i++) {
      const c = s[this.i];
      if (isSpace(c) || c === '"') break;
      if (c === "(") open++;
      else if (c === ")") {
        if (open > 0) open--;
        else if (this.depth > 0) break;
      }
    }
    return s.slice(start, this.i);
  }

  /**
   * A quoted phrase or value: `\"` and `\\` escape; an unclosed quote runs to the end, as before. A `*`
   * right after the closing quote makes it a prefix.
   */
  private readQuoted(): { text: string; prefix: boolean } {
    const s = this.s;
    let text = "";
    this.i++;
    let closed = false;
    while (this.i < s.length) {
      const c = s[this.i] as string;
      if (c === "\\" && (s[this.i + 1] === '"' || s[this.i + 1] === "\\")) {
        text += s[this.i + 1];
        this.i += 2;
        continue;
      }
      this.i++;
      if (c === '"') {
        closed = true;
        break;
      }
      text += c;
    }
    const prefix = closed && s[this.i] === "*" && this.boundary(this.i + 1);
    if (prefix) this.i++;
    return { text, prefix };
  }

  private countTerm(at: number): void {
    if (++this.terms > MAX_SEARCH_TERMS) this.fail(at, `at most ${MAX_SEARCH_TERMS} terms`);
  }

  /** Words of `text` adjacent, in order; with `prefix` the last one is a prefix. */
  private textTerm(text: string, prefix: boolean, messageOnly: boolean, at: number): QueryNode {
    const slots = searchWordSlots(text);
    // A term without a word is dropped (simplify) and reaches no engine, so it is not counted.
    if (slots.length > 0) this.countTerm(at);
    if (prefix) {
      const last = slots.at(-1);
      if (last === undefined || !ENDS_IN_WORD_CHAR.test(text) || chars(last) < 2) {
        this.fail(this.i - 1, "at least 2 letters or digits right before * (a prefix)");
      }
    }
    return { type: "text", words: slots.filter((w) => w !== ""), prefix, messageOnly };
  }

  /** What follows `field:` (or a term inside `field:( … )`). */
  private parseValue(field: Target): QueryNode {
    const s = this.s;
    const start = this.i;
    const c = s[start];
    if (c === '"') {
      const { text, prefix } = this.readQuoted();
      return this.fieldTerm(field, text, prefix ? "prefix" : "equals", start);
    }
    if (c === "[") return this.parseRange(field);
    if (c === "{") this.fail(start, `"[" (a range includes both ends; quote a value that starts with {)`);
    if (c === ">" || c === "<") {
      const op = s[start + 1] === "=" ? `${c}=` : c;
      this.i += op.length;
      const numberAt = this.i;
      const value = parseNumberLiteral(this.readBare());
      if (value === null) this.fail(numberAt, `a number after ${op}`);
      const bound: Bound = { value, inclusive: op.length === 2 };
      return this.rangeTerm(field, c === ">" ? { lower: bound } : { upper: bound }, start);
    }
    const token = this.readBare();
    if (token === "") this.fail(start, "a value");
    if (token === "*") {
      this.countTerm(start);
      if (field.kind === "message") return { type: "all" };
      if (field.kind === "column" && ALWAYS_PRESENT.has(field.name)) return { type: "all" };
      return { type: "exists", field };
    }
    const star = token.indexOf("*");
    if (star >= 0 && star < token.length - 1) {
      this.fail(start + star, "* only at the end of a value (a prefix); quote the value to match * itself");
    }
    return star < 0
      ? this.fieldTerm(field, token, "equals", start)
      : this.fieldTerm(field, token.slice(0, -1), "prefix", start);
  }

  private fieldTerm(field: Target, value: string, kind: "equals" | "prefix", at: number): QueryNode {
    if (field.kind === "message") return this.textTerm(value, kind === "prefix", true, at);
    this.countTerm(at);
    if (field.kind === "column" && field.name === "level") {
      const level = kind === "equals" ? normalizeLevel(value) : null;
      if (level === null) {
        this.fail(at, `a level: ${LEVELS.join(", ")}, or an alias such as warn, err or fatal`);
      }
      return { type: "equals", field, value: level };
    }
    if (kind === "prefix" && chars(value) < 2)
      this.fail(this.i - 1, "at least 2 characters before * (a prefix)");
    return { type: kind, field, value };
  }

  /** `[a TO b]`, both ends included. */
  private parseRange(field: Target): QueryNode {
    const s = this.s;
    const open = this.i;
    this.i++;
    const bound = (): Bound => {
      this.skipSpace();
      const at = this.i;
      while (this.i < s.length && !isSpace(s[this.i]) && s[this.i] !== "]") this.i++;
      const value = parseNumberLiteral(s.slice(at, this.i));
      if (value === null) this.fail(at, "a number");
      return { value, inclusive: true };
    };
    const lower = bound();
    this.skipSpace();
    if (!s.startsWith("TO", this.i)) this.fail(this.i, "TO");
    this.i += 2;
    if (!isSpace(s[this.i])) this.fail(this.i, "a space after TO");
    const upper = bound();
    this.skipSpace();
    if (s[this.i] !== "]") this.fail(this.i, `"]" to close the range at ${open}`);
    this.i++;
    return this.rangeTerm(field, { lower, upper }, open);
  }

  private rangeTerm(field: Target, bounds: { lower?: Bound; upper?: Bound }, at: number): QueryNode {
    if (field.kind !== "attribute") {
      const name = field.kind === "message" ? "message" : field.name;
      this.fail(at, `a value (${name} is text; >, >=, <, <= and [a TO b] compare numeric attributes)`);
    }
    this.countTerm(at);
    return { type: "range", attribute: field.name, ...bounds };
  }
}

/**
 * The tree with terms that hold no word removed (they narrow nothing, as in the search box before),
 * nested ANDs and ORs flattened and constants folded. Null when nothing is left.
 */
function simplify(node: QueryNode): QueryNode | null {
  switch (node.type) {
    case "text":
      return node.words.length === 0 ? null : node;
    case "not": {
      const child = simplify(node.child);
      if (child === null) return null;
      if (child.type === "all") return { type: "none" };
      if (child.type === "none") return { type: "all" };
      if (child.type === "not") return child.child;
      return { type: "not", child };
    }
    case "and":
    case "or": {
      const absorbing = node.type === "and" ? "none" : "all";
      const neutral = node.type === "and" ? "all" : "none";
      const children: QueryNode[] = [];
      let sawNeutral = false;
      for (const c of node.children) {
        const k = simplify(c);
        if (k === null) continue;
        if (k.type === absorbing) return k;
        if (k.type === neutral) sawNeutral = true;
        else if (k.type === node.type) children.push(...k.children);
        else children.push(k);
      }
      if (children.length === 0) return sawNeutral ? { type: neutral } : null;
      return children.length === 1 ? (children[0] as QueryNode) : { type: node.type, children };
    }
    default:
      return node;
  }
}
