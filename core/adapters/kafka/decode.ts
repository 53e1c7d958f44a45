import { isUuid } from "../../ids.ts";
import { type LogEvent, LogEventSchema } from "../../log-event.ts";

/** What the indexer does with one message: store its event, or dead-letter it with the reason. */
export type Decoded = { ok: true; event: LogEvent } | { ok: false; reason: string };

const MAX_TS = Date.UTC(9999, 11, 31);
/** One decoder for every message: decode() without `stream` keeps no state between calls. */
const utf8 = new TextDecoder("utf-8", { fatal: true });

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
  const parsed = LogEventSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join(".") || "event"}: ${i.message}`)
      .join("; ");
    return { ok: false, reason: `invalid event: ${issues}` };
  }
  const event = parsed.data;
  if (!isUuid(event.id)) return { ok: false, reason: "invalid event: id: not a UUID" };
  for (const field of ["timestamp", "received_at"] as const) {
    const ms = Date.parse(event[field]);
    if (!(ms >= 0 && ms <= MAX_TS)) return { ok: false, reason: `invalid event: ${field}: not a date` };
  }
  return { ok: true, event };
}
