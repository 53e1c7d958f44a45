import { isUuid } from "../../ids.ts";
import { LEVELS, type Level } from "../../level.ts";
import { type LogEvent, LogEventSchema } from "../../log-event.ts";

/** What the indexer does with one message: store its event, or dead-letter it with the reason. */
export type Decoded = { ok: true; event: LogEvent } | { ok: false; reason: string };

const MAX_TS = Date.UTC(9999, 11, 31);
/** One decoder for every message: decode() without `stream` keeps no state between calls. */
const utf8 = new TextDecoder("utf-8", { fatal: true });

const LEVEL_NAMES: ReadonlySet<string> = new Set(LEVELS);
const NULLABLE_FIELDS = ["host", "correlation_id", "request_id", "trace_id", "span_id"] as const;

/**
 * The event when `raw` is exactly what LogEventSchema accepts, as the schema would return it (known
 * fields only); null otherwise, and the schema then says why. Every message goes through here, and
 * the schema's general machinery cost about twice the JSON parse of a typical event.
 */
export function checkedEvent(raw: unknown): LogEvent | null {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  const { id, timestamp, received_at, service, level, message, attributes } = r;
  if (
    typeof id !== "string" ||
    typeof timestamp !== "string" ||
    typeof received_at !== "string" ||
    typeof service !== "string" ||
    typeof message !== "string" ||
    typeof level !== "string" ||
    !LEVEL_NAMES.has(level)
  ) {
    return null;
  }
  for (const field of NULLABLE_FIELDS) {
    const v = r[field];
    if (v !== null && typeof v !== "string") return null; // present, as a string or null
  }
  if (typeof attributes !== "object" || attributes === null || Array.isArray(attributes)) return null;
  if (Object.getPrototypeOf(attributes) !== Object.prototype) return null;
  const attrs = attributes as Record<string, unknown>;
  // The schema's copy drops a key named __proto__ (assigning it sets no property): let it decide.
  if (Object.hasOwn(attrs, "__proto__")) return null;
  for (const k in attrs) {
    const v = attrs[k];
    if (typeof v === "string" || typeof v === "boolean") continue;
    if (typeof v === "number" && Number.isFinite(v)) continue;
    return null;
  }
  return {
    id,
    timestamp,
    received_at,
    service,
    level: level as Level,
    message,
    host: r.host as string | null,
    correlation_id: r.correlation_id as string | null,
    request_id: r.request_id as string | null,
    trace_id: r.trace_id as string | null,
    span_id: r.span_id as string | null,
    attributes: attrs as LogEvent["attributes"],
  };
}

/**
 * Decode one message of the log topic: JSON of a LogEvent as the collector normalised it. Never
 * throws; anything the store would refuse is a reason, so one poison message cannot hold up its batch.
 */
export function decodeLogMessage(value: Uint8Array | null, maxBytes: number): Decoded {
  if (!value || value.byteLength === 0) return { ok: false, reason: "empty message" };
  if (value.byteLength > maxBytes) {
    return { ok: false, reason: `oversized: ${value.byteLength} bytes > ${maxBytes}` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(utf8.decode(value));
  } catch (err) {
    return { ok: false, reason: `not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  let event = checkedEvent(raw);
  if (!event) {
    const parsed = LogEventSchema.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join(".") || "event"}: ${i.message}`)
        .join("; ");
      return { ok: false, reason: `invalid event: ${issues}` };
    }
    event = parsed.data;
  }
  if (!isUuid(event.id)) return { ok: false, reason: "invalid event: id: not a UUID" };
  for (const field of ["timestamp", "received_at"] as const) {
    const ms = Date.parse(event[field]);
    if (!(ms >= 0 && ms <= MAX_TS)) return { ok: false, reason: `invalid event: ${field}: not a date` };
  }
  return { ok: true, event };
}
