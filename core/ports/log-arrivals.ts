import type { LogEvent } from "../log-event.ts";

/**
 * A place in the store's arrival order: the order in which events became visible to readers, which is
 * not the order of their timestamps (a shipper may send an hour-old line now) nor of their ids (UUIDv7
 * of the event's own time). Positions are opaque text that **compare as strings in arrival order**:
 * `a < b` means `a` comes first. They outlive the process (a client resumes on another replica, or after
 * a restart), and are safe to hand to clients: a forged one can only skip or repeat events the caller
 * may read anyway. Reading one this store did not issue throws InvalidCursorError.
 */
export type ArrivalPosition = string;

/** An event and the position just after it: resuming there delivers what came after it, not it. */
export interface Arrival {
  event: LogEvent;
  position: ArrivalPosition;
}

export interface ArrivalPage {
  /** In arrival order; every one after `after` and at or before `until`. */
  arrivals: Arrival[];
  /**
   * Where the next read starts. After the last arrival when the page is full; else the bound the read
   * reached (`until`, or the store's current end): nothing at or before it is left to deliver, even
   * if no event came.
   */
  next: ArrivalPosition;
  /** Fewer than `limit` arrivals: the read reached `until` or the store's end. */
  reachedEnd: boolean;
}

/**
 * The stored events in arrival order, for the live tail: read from a position, get every event that
 * became visible after it exactly once, however late its timestamp. Gap-free means that a page never
 * ends past an event that is not visible yet but will be (a write still committing): the end a read
 * reaches is one behind which nothing more can appear.
 */
export interface LogArrivals {
  /** The position after everything visible now: a tail that starts here gets only what comes next. */
  head(): Promise<ArrivalPosition>;
  /**
   * Text a client sent back (an SSE `Last-Event-ID`) as this store's position; throws InvalidCursorError
   * for text that is not one this store issues.
   */
  parse(text: string): ArrivalPosition;
  /**
   * At most `limit` events after `after`, in arrival order. With `until`, none after it, and `next` is
   * `until` once the read got there (give a position already known to be settled, such as an earlier
   * `next`); an `until` that is not after `after` reads nothing, and `next` stays `after`. Throws
   * InvalidCursorError for a position this store did not issue.
   */
  read(after: ArrivalPosition, opts: { limit: number; until?: ArrivalPosition }): Promise<ArrivalPage>;
}
