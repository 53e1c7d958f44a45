import type { LogEvent } from "../log-event.ts";
import type { ColumnField } from "./ast.ts";

/** A column's value, or null when the event has none (`pattern` is absent on older events). */
export function columnValue(e: LogEvent, name: ColumnField): string | null {
  if (name === "pattern") return (e as { pattern?: string | null }).pattern ?? null;
  return e[name];
}

/** A value an attribute may hold (LogEventSchema). */
export type AttributeValue = LogEvent["attributes"][string];

/**
 * A string attribute that range comparisons read as a number: an optional minus, 1–255 digits and an
 * optional fraction of 1–255 digits (no exponent, no spaces). Every such string is a finite double in
 * JavaScript and in Postgres alike (neither overflows nor underflows), and both round it the same way.
 * The Postgres compiler sends the same pattern (POSIX regular expressions read it alike).
 */
export const NUMERIC_STRING = "^-?[0-9]{1,255}(\\.[0-9]{1,255})?$";
const NUMERIC_STRING_RE = new RegExp(NUMERIC_STRING);

/** A number as the query language writes it: `250`, `-1.5`, `1e3`, `1e+21`. */
const NUMBER_LITERAL = /^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

/** The number a query's literal stands for, or null when it is not one (or not finite). */
export function parseNumberLiteral(text: string): number | null {
  if (!NUMBER_LITERAL.test(text)) return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

/** The value as text, as `equals` and `prefix` compare it: numbers as JavaScript writes them. */
export function attributeText(v: AttributeValue): string {
  return typeof v === "string" ? v : String(v);
}

/** The value as a number for ranges: a number, or a numeric string (NUMERIC_STRING); else undefined. */
export function attributeNumber(v: AttributeValue): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "string" && NUMERIC_STRING_RE.test(v)) return Number(v);
  return undefined;
}

/**
 * The stored number or boolean whose text is exactly `text`, if any: `500` for "500", `true` for "true";
 * undefined for "500.0" or "1000000000000000000000" (JavaScript writes those numbers 500 and 1e+21).
 * An engine that stores typed JSON (Postgres's jsonb) matches `equals` on this as well as on the string.
 */
export function typedValueOf(text: string): number | boolean | undefined {
  if (text === "true") return true;
  if (text === "false") return false;
  const n = parseNumberLiteral(text);
  return n !== null && String(n) === text ? n : undefined;
}
