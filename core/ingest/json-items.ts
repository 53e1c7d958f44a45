import { AppError } from "../errors.ts";
import { eventLoopSlicer } from "../event-loop.ts";
import { locateJsonError } from "../json-error.ts";
import type { IngestItem } from "../ports/collector.ts";

/**
 * Deepest nesting one event (or one protocol body) may have. Nothing deeper is kept anyway (nested
 * attributes are flattened four levels and written as JSON text to sixteen), and a JSON.parse of
 * hundreds of thousands of levels holds the event loop for hundreds of milliseconds.
 */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(text: string, i: number, end: number): number {
  while (i < end && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** The index just past the string whose opening quote is at `i`, or -1 when it never closes. */
function skipString(text: string, i: number, end: number): number {
  let from = i + 1;
  for (;;) {
    const q = text.indexOf('"', from);
    if (q < 0 || q >= end) return -1;
    let slashes = 0;
    for (let k = q - 1; k > i && text.charCodeAt(k) === BACKSLASH; k--) slashes++;
    if (slashes % 2 === 0) return q + 1;
    from = q + 1;
  }
}

/** One JSON value's extent in text, found without parsing it, and how deep it nests (capped). */
interface Span {
  end: number;
  depth: number;
}

/**
 * Walk one JSON value starting at `i` (no recursion, so any nesting is safe; linear in its length):
 * where it ends, and its deepest nesting. It ends where its brackets close, or, for a scalar, at a `,`
 * or closing bracket of the enclosing array. Null when the text ends first (a truncated body). The
 * value itself is not checked: JSON.parse does that afterwards, on values that are not too deep.
 */
function spanOf(text: string, i: number, end: number): Span | null {
  let depth = 0;
  let deepest = 0;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = skipString(text, i, end);
      if (i < 0) return null;
      if (depth === 0) return { end: i, depth: 0 };
      continue;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (depth === 0) return { end: i, depth: 0 }; // a scalar ended by its array's close
      depth--;
      if (depth === 0) return { end: i + 1, depth: deepest };
    } else if (c === COMMA && depth === 0) {
      return { end: i, depth: 0 };
    }
    i++;
  }
  return depth === 0 ? { end, depth: deepest } : null;
}

/** Text JSON.parse refused (or that does not hold together as JSON): 400 saying where it broke. */
function invalidJson(text: string): AppError {
  const at = locateJsonError(text);
  const where = at ? `line ${at.line}, column ${at.column}: ${at.reason}` : "unreadable";
  return new AppError("INVALID_JSON", `Body is not valid JSON: ${where}`);
}

/** Nesting deeper than `maxDepth` anywhere in `text` (no recursion; stops at the first excess). */
export function nestsDeeperThan(text: string, maxDepth = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  const end = text.length;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const next = skipString(text, i, end);
      if (next < 0) return false; // broken JSON: JSON.parse says where
      i = next - 1;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
  }
  return false;
}

/**
 * JSON.parse for a whole body whose shape is one document (OTLP/JSON, Loki push): refuses nesting
 * deeper than `maxDepth` before parsing, so a hostile body costs one linear scan. Null when too deep;
 * throws SyntaxError like JSON.parse when the text is not JSON.
 */
export function parseShallowJson(text: string, maxDepth = MAX_JSON_DEPTH): { value: unknown } | null {
  if (nestsDeeperThan(text, maxDepth)) return null;
  return { value: JSON.parse(text) };
}

const tooDeep = (what: string, maxDepth: number) =>
  `${what}: nested deeper than ${maxDepth} levels; send nested data as fewer levels or as a string`;

/** Read one item's JSON text: its value, or why it is refused (too deep, or not JSON). */
export function readJsonItem(text: string, what: string, maxDepth = MAX_JSON_DEPTH): IngestItem {
  if (nestsDeeperThan(text, maxDepth)) return { ok: false, error: tooDeep(what, maxDepth) };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    const at = locateJsonError(text);
    return {
      ok: false,
      error: `${what}: not valid JSON (${at ? `line ${at.line}, column ${at.column}: ${at.reason}` : "unreadable"})`,
    };
  }
}

export interface JsonItems {
  items: IngestItem[];
  /** The body was one JSON value, not an array of them: the answer is about that one event. */
  single: boolean;
}

/**
 * The items of a JSON ingest body: one value, or an array of them. Each element of an array is read
 * on its own, so an element nested deeper than `maxDepth` is one refused item (the others stay
 * good) and is never parsed at all. Reading gives way to other requests every few milliseconds, so a
 * 10 MB body never holds the event loop for long. A body that is not JSON as a whole (a truncated
 * array, a broken element) is 400 INVALID_JSON saying where.
 */
export async function readJsonItems(text: string, maxDepth = MAX_JSON_DEPTH): Promise<JsonItems> {
  const end = text.length;
  let i = skipSpace(text, 0, end);
  if (text.charCodeAt(i) !== OPEN_ARRAY) {
    const span = spanOf(text, i, end);
    if (span && span.depth > maxDepth && skipSpace(text, span.end, end) === end) {
      return { items: [{ ok: false, error: tooDeep("event", maxDepth) }], single: true };
    }
    try {
      return { items: [{ ok: true, value: JSON.parse(text) }], single: true };
    } catch {
      throw invalidJson(text);
    }
  }
  const items: IngestItem[] = [];
  const breathe = eventLoopSlicer();
  i = skipSpace(text, i + 1, end);
  if (text.charCodeAt(i) === CLOSE_ARRAY) i++;
  else {
    for (;;) {
      const span = spanOf(text, i, end);
      if (!span || span.end === i) throw invalidJson(text);
      if (span.depth > maxDepth) items.push({ ok: false, error: tooDeep("event", maxDepth) });
      else {
        try {
          items.push({ ok: true, value: JSON.parse(text.slice(i, span.end)) });
        } catch {
          throw invalidJson(text);
        }
      }
      i = skipSpace(text, span.end, end);
      const c = text.charCodeAt(i);
      i++;
      if (c === CLOSE_ARRAY) break;
      if (c !== COMMA) throw invalidJson(text);
      i = skipSpace(text, i, end);
      await breathe();
    }
  }
  if (skipSpace(text, i, end) !== end) throw invalidJson(text);
  return { items, single: false };
}

/**
 * The items of an NDJSON body, one per non-blank line; a line that is not JSON, or nests deeper than
 * `maxDepth`, is one refused item naming its line. Gives way to other requests like readJsonItems.
 */
export async function readNdjsonItems(text: string, maxDepth = MAX_JSON_DEPTH): Promise<IngestItem[]> {
  const items: IngestItem[] = [];
  const breathe = eventLoopSlicer();
  let lineNo = 0;
  let start = 0;
  while (start <= text.length) {
    let nl = text.indexOf("\n", start);
    if (nl < 0) nl = text.length;
    lineNo++;
    const line = text.slice(start, nl).trim();
    start = nl + 1;
    if (line === "") continue;
    items.push(readJsonItem(line, `line ${lineNo}`, maxDepth));
    await breathe();
  }
  return items;
}
