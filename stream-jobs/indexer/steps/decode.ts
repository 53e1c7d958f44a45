import { deadLetter, type MessageStepResult, ok } from "../step.ts";

/** One decoder for every message: decode() without `stream` keeps no state between calls. */
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Step 1: a message's bytes to a JSON value (what the collector published: one event, as JSON). The
 * empty, the oversized and what is not UTF-8 JSON are dead-lettered with the reason.
 */
export function decodeMessage(value: Uint8Array | null, maxBytes: number): MessageStepResult<unknown> {
  if (!value || value.byteLength === 0) return deadLetter("empty message");
  if (value.byteLength > maxBytes) return deadLetter(`oversized: ${value.byteLength} bytes > ${maxBytes}`);
  try {
    return ok(JSON.parse(utf8.decode(value)));
  } catch (err) {
    return deadLetter(`not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}
