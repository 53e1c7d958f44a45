import { base64url, fromBase64url } from "./base64.ts";
import { isUuid } from "./ids.ts";
import { microsWithinMs } from "./log-event.ts";
import { InvalidCursorError } from "./ports/log-store.ts";

/** The keyset position of the last event of a page: the next page starts strictly after (older than) it. */
export interface CursorPosition {
  /** Event time, epoch ms with the microseconds as a fraction (parseTimestamp's form). */
  ts: number;
  id: string;
}

// Room for a 16-digit ms time, its microseconds, a UUID and the separators; anything longer is not ours.
const MAX_CURSOR_CHARS = 88;
// `ms:id`, or `ms.uuu:id` for a time with microseconds (cursors issued before have no fraction).
const POSITION_RE = /^(-?\d{1,16})(?:\.(\d{3}))?:([0-9a-f-]{36})$/;

/**
 * Encode a keyset position as an opaque, URL-safe token. Base64url only hides the shape so that clients
 * do not build cursors themselves; it is not a secret and needs none: a forged cursor can only seek
 * within results the same filter already allows.
 */
export function encodeCursor(position: CursorPosition): string {
  const us = microsWithinMs(position.ts);
  const ms = Math.round(position.ts * 1000 - us) / 1000;
  const time = us === 0 ? `${ms}` : `${ms}.${String(us).padStart(3, "0")}`;
  return base64url(new TextEncoder().encode(`${time}:${position.id.toLowerCase()}`));
}

/** Decode a token from `encodeCursor`. Throws InvalidCursorError for anything else. */
export function decodeCursor(cursor: string): CursorPosition {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_CHARS || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new InvalidCursorError();
  }
  let text: string;
  try {
    text = new TextDecoder().decode(fromBase64url(cursor));
  } catch {
    throw new InvalidCursorError();
  }
  const m = POSITION_RE.exec(text);
  const ms = Number(m?.[1]);
  const us = m?.[2] === undefined ? 0 : Number(m[2]);
  const id = m?.[3];
  if (id === undefined || !isUuid(id) || !Number.isSafeInteger(ms)) throw new InvalidCursorError();
  return { ts: us === 0 ? ms : ms + us / 1000, id };
}
