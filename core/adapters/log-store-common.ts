import { LEVELS, type Level } from "../level.ts";
import { type LogEvent, MAX_EVENT_TIME_MS } from "../log-event.ts";

/** Most events one search page or `recent()` answer holds, whatever the caller asks. */
export const MAX_PAGE = 1000;

/** A page size within 1..MAX_PAGE (a fraction is cut, nonsense is 1). */
export function clampLimit(limit: number): number {
  return Math.min(MAX_PAGE, Math.max(1, Math.trunc(limit) || 1));
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A count per level, every level present and zero. */
export function emptyLevels(): Record<Level, number> {
  return Object.fromEntries(LEVELS.map((l) => [l, 0])) as Record<Level, number>;
}

/**
 * Throws a RangeError unless an event's times (epoch ms, as parsed by the caller) are storable: a bad one
 * is the caller's bug (events are validated at ingest), not something to store half of.
 */
export function checkTimes(e: LogEvent, ts: number, received: number): void {
  if (!(ts >= 0 && ts <= MAX_EVENT_TIME_MS) || !Number.isFinite(received)) {
    throw new RangeError(`event ${e.id}: timestamp or received_at is not a date between 1970 and 9999`);
  }
}

/**
 * The answer of a health probe, or a rejection after `ms`: a store that does not answer is unhealthy,
 * not a health endpoint that hangs.
 */
export async function withinMs<T>(probe: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
