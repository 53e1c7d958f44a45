import { locateJsonError } from "../json-error.ts";
import { completeLogEvent, type EventLimits, type LogEvent, type LogEventInput } from "../log-event.ts";
import { nestsDeeperThan } from "./json-items.ts";

/** One record a decoder read: mapped to an event input, or the reason it could not be. */
export type DecodedItem = { ok: true; input: LogEventInput; idKey?: string } | { ok: false; error: string };

/** A request that cannot be read as a whole. Nothing in it is stored; the route answers 400 or 413. */
export interface DecodeFailure {
  ok: false;
  code: "BAD_REQUEST" | "PAYLOAD_TOO_LARGE";
  error: string;
}

/** The request has more records than `max`: refused as a whole, before the rest is decoded. */
export function tooMany(max: number, what: string): DecodeFailure {
  return { ok: false, code: "PAYLOAD_TOO_LARGE", error: `more than ${max} ${what}; send smaller batches` };
}

/**
 * Deepest nesting a protocol's JSON body may have: room for OTLP's deepest values (MAX_ANY_DEPTH
 * levels of four JSON levels each), far short of the depths that make JSON.parse slow.
 */
export const MAX_BODY_DEPTH = 512;

/** A JSON body, or a failure saying where the text stops being JSON (or that it nests too deeply). */
export function parseJsonBody(text: string): { ok: true; value: unknown } | DecodeFailure {
  if (nestsDeeperThan(text, MAX_BODY_DEPTH)) {
    return { ok: false, code: "BAD_REQUEST", error: `body nests deeper than ${MAX_BODY_DEPTH} levels` };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    const at = locateJsonError(text);
    const where = at ? `: line ${at.line}, column ${at.column}: ${at.reason}` : "";
    return { ok: false, code: "BAD_REQUEST", error: `body is not valid JSON${where}` };
  }
}

/** What every decoder is told. */
export interface DecodeOptions {
  /** Limits on one event (`deps.limits`): the mapping cuts what exceeds them. */
  limits: EventLimits;
  /** Most records in one request (`INGEST_MAX_EVENTS`); past it the request is refused as a whole. */
  maxEvents: number;
}

/** Per item, in request order: the stored event's id, or why it was refused. */
export type ItemOutcome = { ok: true; id: string } | { ok: false; error: string };

/**
 * Judge each decoded item on its own (time range, the rest of `parseLogEvent`'s checks) and mint the
 * ids: the events to store, and one outcome per item in request order, for per-item answers.
 */
export function acceptItems(
  items: readonly DecodedItem[],
  now: number,
  limits: EventLimits,
): { events: LogEvent[]; outcomes: ItemOutcome[]; rejected: number } {
  const events: LogEvent[] = [];
  const outcomes: ItemOutcome[] = new Array(items.length);
  let rejected = 0;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    // Mapped inputs hold to the input schema by construction (mapping.test.ts checks it), so only
    // the checks after the schema run.
    const result = item.ok ? completeLogEvent(item.input, now, limits, item.idKey) : item;
    if (result.ok) {
      events.push(result.event);
      outcomes[i] = { ok: true, id: result.event.id };
    } else {
      rejected++;
      outcomes[i] = { ok: false, error: result.error };
    }
  }
  return { events, outcomes, rejected };
}

/** "3 of 120 records refused: #4: timestamp: too far in the future; #9: …", the first few reasons. */
export function describeRejections(outcomes: readonly ItemOutcome[], noun = "records", shown = 5): string {
  const reasons: string[] = [];
  let rejected = 0;
  outcomes.forEach((o, i) => {
    if (o.ok) return;
    rejected++;
    if (reasons.length < shown) reasons.push(`#${i}: ${o.error}`);
  });
  const more = rejected > reasons.length ? "; …" : "";
  return `${rejected} of ${outcomes.length} ${noun} refused: ${reasons.join("; ")}${more}`;
}

/**
 * Milliseconds of a time in nanoseconds written as decimal digits, to the microsecond (as a fraction:
 * parseTimestamp's form; the nanoseconds below it are cut). Cut as text, since as a number 19 digits
 * would be rounded and a time could fall a microsecond early. Null for anything but 1–20 digits.
 */
export function millisOfNanos(text: string): number | null {
  if (!/^\d{1,20}$/.test(text)) return null;
  return text.length <= 3 ? 0 : Number(text.slice(0, -3)) / 1000;
}

/** Reads text line by line (LF or CRLF) without splitting it all at once. */
export class LineReader {
  private at = 0;
  /** 1-based number of the line `next` returned last. */
  lineNo = 0;

  constructor(private readonly text: string) {}

  /** The next line without its line end, or null at the end of the text. */
  next(): string | null {
    const { text } = this;
    if (this.at >= text.length) return null;
    let end = text.indexOf("\n", this.at);
    if (end < 0) end = text.length;
    let stop = end;
    if (stop > this.at && text.charCodeAt(stop - 1) === 0x0d) stop--;
    const line = text.slice(this.at, stop);
    this.at = end + 1;
    this.lineNo++;
    return line;
  }
}
