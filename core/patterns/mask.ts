/**
 * Turning a message into the tokens the miner compares: the generic preprocessing every log gets
 * (numbers, hex ids, IPs, versions, dates and times, durations and sizes become the wildcard), and the
 * rules for telling a value (an id, a path, a host) from a word when two tokens differ.
 */

/** The wildcard a template shows where its lines differ. */
export const WILDCARD = "<*>";
/** The wildcard for the value of a `key=value` pair (the key stays a token of its own). */
export const VALUE_WILDCARD = "=<*>";

/** Tokens after this many are folded into one trailing wildcard (a template's size stays bounded). */
export const MAX_TOKENS = 128;
/** Characters a message's tokens may hold together; the rest is folded into one trailing wildcard. */
export const MAX_CHARS = 4096;
/** A token longer than this is a value (a blob, a base64 payload, a long URL), never a word. */
export const MAX_WORD_LENGTH = 80;
/** Characters of a token kept (the rest of a longer one is dropped: it is a value either way). */
export const MAX_TOKEN_LENGTH = 256;

const UNITS = new Set(
  (
    "ns us µs ms s sec secs second seconds min mins minute minutes h hr hrs hour hours d day days " +
    "b B kb KB kB MB mb GB gb TB tb KiB MiB GiB TiB byte bytes"
  ).split(" "),
);

const DATE_WORDS = new Set(
  (
    "jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june july august " +
    "september october november december mon tue wed thu fri sat sun monday tuesday wednesday thursday " +
    "friday saturday sunday am pm utc gmt"
  ).split(" "),
);

// Characters inside a token that mark it as a value rather than a word: dotted names and hosts, paths,
// e-mail-like ids, and `a=b` pairs whose key is not a plain name.
const VALUE_CHARS = new Set([".", "/", "\\", "@", "="].map((c) => c.charCodeAt(0)));

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c > 127;
}

function isAlnum(c: number): boolean {
  return isDigit(c) || isLetter(c);
}

function isHexLetter(c: number): boolean {
  return (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** A token's letters and digits without the punctuation around it (`(KB),` → `KB`). */
function core(token: string): string {
  let a = 0;
  let b = token.length;
  while (a < b && !isAlnum(token.charCodeAt(a))) a++;
  while (b > a && !isAlnum(token.charCodeAt(b - 1))) b--;
  return a === 0 && b === token.length ? token : token.slice(a, b);
}

/**
 * A message as masked tokens. Split on white space; inside a token every run of letters and digits
 * that is a number, a hex id or mostly digits (`1.2.3.4`, `0x1f`, `blk_-42`, `t761`) becomes the
 * wildcard, and a token left with no word in it at all (an IP and port, a date, a float) is the wildcard
 * as a whole. Then a unit after a number (`12 ms`, `4 KB`) and a month or weekday beside one (`Jul 1
 * 07:57:30 2005`) join the wildcard, and runs of wildcards become one, so that values of different
 * lengths give templates of the same length.
 */
export function maskTokens(message: string): string[] {
  const raw: string[] = [];
  const n = message.length;
  let i = 0;
  while (i < n) {
    while (i < n && isSpace(message.charCodeAt(i))) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && !isSpace(message.charCodeAt(i))) i++;
    const end = Math.min(i, start + MAX_TOKEN_LENGTH);
    // `key=value`: the key is a word of its own and the value a token that starts with `=`, so values
    // made of letters differ the way words do, and a key with no value differs from one with a value.
    const eq = keyEnd(message, start, end);
    if (eq > 0) {
      raw.push(message.slice(start, eq));
      const value = maskToken(message, eq + 1, end);
      raw.push(value === WILDCARD ? VALUE_WILDCARD : `=${value}`);
    } else raw.push(maskToken(message, start, end));
  }
  for (let k = 0; k < raw.length; k++) {
    if (raw[k] !== WILDCARD) continue;
    const next = raw[k + 1];
    if (next !== undefined && next !== WILDCARD) {
      const c = core(next);
      if (UNITS.has(c) || DATE_WORDS.has(c.toLowerCase())) raw[k + 1] = WILDCARD;
    }
    // `Fri Jul 1`: up to two date words before a number belong to the date.
    for (let b = k - 1; b >= k - 2 && b >= 0 && DATE_WORDS.has(core(raw[b]!).toLowerCase()); b--) {
      raw[b] = WILDCARD;
    }
  }
  const out: string[] = [];
  let chars = 0;
  for (const t of raw) {
    if (t === WILDCARD && out[out.length - 1] === WILDCARD) continue;
    chars += t.length;
    if (out.length === MAX_TOKENS || chars > MAX_CHARS) {
      if (out[out.length - 1] !== WILDCARD) out[Math.min(out.length, MAX_TOKENS - 1)] = WILDCARD;
      break;
    }
    out.push(t);
  }
  return out;
}

function maskToken(s: string, start: number, end: number): string {
  let masked = "";
  let hasWord = false;
  let hexWords = 0;
  let values = 0;
  let changed = false;
  let copied = start;
  let i = start;
  while (i < end) {
    if (!isAlnum(s.charCodeAt(i))) {
      i++;
      continue;
    }
    const runStart = i;
    let digits = 0;
    let letters = 0;
    let hex = true;
    for (; i < end; i++) {
      const c = s.charCodeAt(i);
      if (isDigit(c)) digits++;
      else if (isLetter(c)) {
        letters++;
        if (!isHexLetter(c)) hex = false;
      } else break;
    }
    // A number, a hex id or a name made mostly of digits is a value; a word with a digit or two
    // (`ssh2`, `IPv6`, `SOCKS5`, `eth0`) stays a word.
    const value =
      digits > 0 && (digits >= letters || isDigit(s.charCodeAt(runStart)) || (hex && i - runStart >= 4));
    if (!value) {
      if (hex) hexWords++;
      else hasWord = true;
      continue;
    }
    values++;
    // A sign belongs to the number unless it joins two words or numbers (`a-1`, `24-54`).
    let from = runStart;
    const sign = runStart > start ? s.charCodeAt(runStart - 1) : 0;
    if (letters === 0 && (sign === 45 || sign === 43)) {
      if (runStart - 1 === start || !isAlnum(s.charCodeAt(runStart - 2))) from = runStart - 1;
    }
    masked += s.slice(copied, from) + WILDCARD;
    copied = i;
    changed = true;
  }
  if (!changed) return s.slice(start, end);
  // Nothing but values, and hex digits between them (a UUID, an IPv6 or MAC address): one value.
  if (!hasWord && (hexWords === 0 || values >= 2)) return WILDCARD;
  return masked + s.slice(copied, end);
}

/** Where `=` is in a `key=value` token with a plain name for a key and a value, else -1. */
function keyEnd(s: string, start: number, end: number): number {
  if (!isLetter(s.charCodeAt(start))) return -1;
  for (let i = start + 1; i < end - 1; i++) {
    const c = s.charCodeAt(i);
    if (c === 61) return i;
    // A plain name: letters, digits, `_`, `-`, `.`.
    if (!isAlnum(c) && c !== 95 && c !== 45 && c !== 46) return -1;
  }
  return -1;
}

/**
 * Whether a token reads as a value (a number, an id, a host, a path) rather than a word. Where two
 * lines differ in words only, they are kept apart until the position has shown enough distinct words to
 * be a variable; where they differ in values, they join at once.
 */
export function isValueToken(token: string): boolean {
  if (token.includes(WILDCARD)) return true;
  const body = core(token);
  if (body.length > MAX_WORD_LENGTH) return true;
  for (let i = 0; i < body.length; i++) if (VALUE_CHARS.has(body.charCodeAt(i))) return true;
  return false;
}

/** The token a template keeps where two lines differ: `=<*>` for two values of a key, else `<*>`. */
export function generalise(a: string, b: string): string {
  if (a === b) return a;
  return a.charCodeAt(0) === 61 && b.charCodeAt(0) === 61 ? VALUE_WILDCARD : WILDCARD;
}

/** Whether template token `t` already covers token `m` (`<*>` covers all, `=<*>` any value of a key). */
export function covers(t: string, m: string): boolean {
  return t === m || t === WILDCARD || (t === VALUE_WILDCARD && m.charCodeAt(0) === 61);
}

/** A template as text: tokens joined by spaces, a key's value (`=…`) right after its key. */
export function templateText(tokens: readonly string[]): string {
  let text = "";
  for (const t of tokens) text += text && t.charCodeAt(0) !== 61 ? ` ${t}` : t;
  return text;
}
