import { base64url, fromBase64url } from "./base64.ts";
import { isUuid } from "./ids.ts";
import { InvalidCursorError } from "./ports/log-store.ts";

/** The keyset position of the last event of a page: the next page starts strictly after (older than) it. */
export interface CursorPosition {
  /** Event time, epoch ms. */
  ts: number;
  id: string;
}

// Room for a 16-digit ms time, a UUID and the separator; anything longer is not ours.
const MAX_CURSOR_CHARS = 80;
const POSITION_RE = /^(-?\d{1,16}):([0-9a-f-]{36})$/;

/**
 * Encode a keyset position as an opaque, URL-safe token. Base64url only hides the shape so that clients
 * do not build cursors themselves; it is not a secret and needs none: a forged cursor can only seek
 * within results the same filter already allows.
 */
export function encodeCursor(position: CursorPosition): string {
  return base64url(new TextEncoder().encode(`${Math.trunc(position.ts)}:${position.id.toLowerCase()}`));
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
  const ts = Number(m?.[1]);
  const id = m?.[2];
  if (id === undefined || !isUuid(id) || !Number.isSafeInteger(ts)) throw new InvalidCursorError();
  return { ts, id };
}
