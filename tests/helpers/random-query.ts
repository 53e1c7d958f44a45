import { uuidv7 } from "../../core/ids.ts";
import { LEVELS } from "../../core/level.ts";
import type { LogEvent } from "../../core/log-event.ts";

/**
 * Seeded random events and random query text from the query language's grammar (core/query/GRAMMAR.md),
 * drawn from small vocabularies so that terms often match: what the property suites run every engine and
 * the reference evaluator on. The same seed gives the same events and queries.
 */
export class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** mulberry32: uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
}

// Lower-case non-ASCII words only: JavaScript and Java lower-case a few capitals differently (İ, final Σ),
// a difference of the engines' analyzers, not of the query language.
const WORDS = [
  "error",
  "timeout",
  "card",
  "declined",
  "payment",
  "user",
  "users",
  "api",
  "v1",
  "checkout",
  "retry",
  "reset",
  "gateway",
  "auth",
  "db",
  "ok",
  "café",
  "日本語",
  "or",
  "and",
  "not",
  "500",
  "42",
];
const SERVICES = ["checkout", "payment-service", "api-gateway", "auth", "card-db"];
const SEPARATORS = [" ", " ", " ", " ", "/", ".", "_", "-", ": ", "=", ", ", " (", ") "];
const HOSTS = ["web-1", "web-2", "db-1"];
const IDS = ["4bf92f35", "a3ce929d", "00f067aa", "c0ffee00-1111"];
/** Attribute names, some shadowing a column or with the characters a name may hold. */
const KEYS = [
  "status",
  "latency_ms",
  "user_id",
  "route",
  "http.status",
  "region",
  "ok",
  "service",
  "k8s.io/app",
];
const STRING_VALUES = [
  "u_42",
  "U_42",
  "eu-west-1",
  "/api/v1/users",
  "/api/v2",
  "1e3",
  " 5",
  "5.",
  "",
  "Yes",
  "a b",
];
const NUMBERS = [-5, -1.5, 0, 0.25, 1.5, 12.5, 42, 100, 250, 404, 500, 502, 600];
const NUMERIC_STRINGS = ["500", "12.5", "-3", "007", "0.25", "250"];

function attributeValue(r: Random): string | number | boolean {
  const k = r.int(10);
  if (k < 4) return r.pick(NUMBERS);
  if (k < 6) return r.pick(NUMERIC_STRINGS);
  if (k < 9) return r.pick(STRING_VALUES);
  return r.chance(0.5);
}

function word(r: Random): string {
  const w = r.pick(WORDS);
  const k = r.int(6);
  return k === 0 ? w.toUpperCase() : k === 1 ? w[0]?.toUpperCase() + w.slice(1) : w;
}

function message(r: Random): string {
  let text = "";
  const n = 1 + r.int(8);
  for (let j = 0; j < n; j++) text += (j > 0 ? r.pick(SEPARATORS) : "") + word(r);
  return text;
}

/** `n` events within the hour after `start` (epoch ms), each with a fresh id. */
export function randomEvents(r: Random, n: number, start: number): LogEvent[] {
  const out: LogEvent[] = [];
  for (let j = 0; j < n; j++) {
    const ts = start + r.int(3_600_000);
    const attributes: LogEvent["attributes"] = {};
    for (const key of KEYS) if (r.chance(0.35)) attributes[key] = attributeValue(r);
    const maybe = (items: readonly string[]) => (r.chance(0.5) ? r.pick(items) : null);
    out.push({
      id: uuidv7(ts),
      timestamp: new Date(ts).toISOString(),
      received_at: new Date(ts).toISOString(),
      service: r.pick(SERVICES),
      level: r.pick(LEVELS),
      message: message(r),
      host: maybe(HOSTS),
      correlation_id: maybe(IDS),
      request_id: maybe(IDS),
      trace_id: maybe(IDS),
      span_id: maybe(IDS),
      attributes,
    });
  }
  return out;
}

function quote(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** A value as query text: bare when the grammar reads it as itself, quoted otherwise. */
function valueText(v: string): string {
  return /^[\w./@-]+$/u.test(v) && !v.startsWith("//") ? v : quote(v);
}

function prefixOf(r: Random, text: string): string {
  return text.slice(0, 2 + r.int(Math.max(1, text.length - 1)));
}

function num(r: Random): string {
  return String(r.pick([...NUMBERS, 1e3, -0.5]));
}

function fieldTerm(r: Random, depth: number): string {
  const key = r.pick(KEYS);
  const name = key === "service" || r.chance(0.2) ? `attributes.${key}` : key;
  const stringValue = () => valueText(String(r.pick([...STRING_VALUES, ...NUMERIC_STRINGS, ...NUMBERS])));
  switch (r.int(16)) {
    case 0:
      return `service:${r.chance(0.7) ? r.pick(SERVICES) : `${prefixOf(r, r.pick(SERVICES))}*`}`;
    case 1:
      return `level:${r.pick(["error", "ERR", "warn", "WARNING", "info", "debug", "fatal", "critical", "3", "*"])}`;
    case 2:
      return `host:${r.pick([...HOSTS, "*", "web*", "web-*"])}`;
    case 3:
      return `${r.pick(["trace_id", "correlation_id", "request_id", "span_id"])}:${r.pick([...IDS, "*", "4b*", "c0ffee*"])}`;
    case 4:
    case 5:
      return `${name}:${stringValue()}`;
    case 6:
      return `${name}:${r.pick([">", ">=", "<", "<="])}${num(r)}`;
    case 7: {
      const [a, b] = [num(r), num(r)];
      return `${name}:[${a} TO ${b}]`;
    }
    case 8:
      return `${name}:*`;
    case 9: {
      const v = String(r.pick([...STRING_VALUES, ...NUMERIC_STRINGS, ...NUMBERS]));
      return v.length >= 2 ? `${name}:${quote(prefixOf(r, v))}*` : `${name}:*`;
    }
    case 10:
      return `message:${r.chance(0.5) ? word(r) : quote(`${word(r)} ${word(r)}`)}`;
    case 11: {
      const w = r.pick(WORDS.filter((x) => x.length >= 2));
      return `message:${prefixOf(r, w)}*`;
    }
    case 12:
      return `${name}:(${stringValue()} OR ${stringValue()})`;
    case 13:
      return depth < 2 ? `service:(${r.pick(SERVICES)} ${r.pick(["OR", "or"])} -${r.pick(SERVICES)})` : "ok";
    case 14:
      return `${name}:${r.pick([">", "<="])}${num(r)}`;
    default:
      return `host:${r.pick(HOSTS)}`;
  }
}

/** A word as a term: an operator's name is quoted, so that it stays a word. */
function wordTerm(r: Random): string {
  const w = word(r);
  return /^(or|and|not)$/i.test(w) ? quote(w) : w;
}

function leaf(r: Random, depth: number): string {
  switch (r.int(7)) {
    case 0:
    case 1:
      return wordTerm(r);
    case 2: {
      const w = r.pick(WORDS.filter((x) => x.length >= 2));
      return `${prefixOf(r, w)}*`;
    }
    case 3:
      return quote(`${word(r)}${r.pick(SEPARATORS)}${word(r)}`);
    case 4:
      // A term of several words joined by punctuation (u_42, /api/v1).
      return `${word(r)}${r.pick(["_", "/", "."])}${word(r)}`;
    default:
      return fieldTerm(r, depth);
  }
}

function unary(r: Random, depth: number): string {
  const k = r.int(10);
  const inner = depth < 3 && r.chance(0.2) ? `(${expression(r, depth + 1)})` : leaf(r, depth);
  if (k === 0) return `-${inner}`;
  if (k === 1) return `NOT ${inner}`;
  return inner;
}

function expression(r: Random, depth: number): string {
  const ors = 1 + (r.chance(0.3) ? 1 + r.int(2) : 0);
  const parts: string[] = [];
  for (let j = 0; j < ors; j++) {
    const ands = 1 + r.int(depth === 0 ? 3 : 2);
    const terms: string[] = [];
    for (let k = 0; k < ands; k++) terms.push(unary(r, depth));
    parts.push(terms.join(r.pick([" ", " ", " AND ", " and "])));
  }
  return parts.join(r.pick([" OR ", " or "]));
}

/** Query text from the grammar: words, prefixes, phrases, field terms, groups and every operator. */
export function randomQueryText(r: Random): string {
  return expression(r, 0);
}
