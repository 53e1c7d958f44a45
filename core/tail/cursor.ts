import type { Arrival, ArrivalPosition } from "../ports/log-arrivals.ts";
import type { QueryNode } from "../query/ast.ts";
import { matches } from "../query/evaluate.ts";
import type { ArrivalFeed } from "./feed.ts";

/** What one wait of a tail gives: the events that matched since the last (maybe none) and where it is. */
export interface TailStep {
  /** Matching events in arrival order, each with the position just after it. */
  events: Arrival[];
  /**
   * Where the tail is: after `events`, and after any arrival that did not match. Resuming here misses
   * nothing and repeats nothing.
   */
  position: ArrivalPosition;
}

/** How many arrivals one read of the store takes while a tail catches up. */
const CATCH_UP_PAGE = 1_000;

/**
 * One tail's place in the arrival order and its query. `next` hands out the events after that place that
 * match, from the shared feed while the feed still holds them, else from the store (paged, bounded by
 * the feed's head, so the tail then rejoins it). The query is evaluated here, in memory, by the
 * reference evaluator: the feed reads every arrival once for all tails, whatever they ask.
 */
export class TailCursor {
  private constructor(
    private readonly feed: ArrivalFeed,
    private readonly query: QueryNode,
    private at: ArrivalPosition,
  ) {}

  /**
   * A cursor after `from` (a position the store's `parse` accepted), or at the feed's head when absent.
   * The caller has joined the feed.
   */
  static async open(feed: ArrivalFeed, query: QueryNode, from?: ArrivalPosition): Promise<TailCursor> {
    const head = await feed.start();
    return new TailCursor(feed, query, from ?? head);
  }

  get position(): ArrivalPosition {
    return this.at;
  }

  /**
   * The matching events after the cursor, as soon as there are any; with none, resolves after `waitMs`
   * (or when `signal` aborts) with an empty list and the position reached meanwhile.
   */
  async next(waitMs: number, signal?: AbortSignal, now: () => number = Date.now): Promise<TailStep> {
    const deadline = now() + waitMs;
    for (;;) {
      let events = this.take();
      if (events === null) {
        const before = this.at;
        const page = await this.feed.catchUp(before, CATCH_UP_PAGE);
        events = this.advance(page.arrivals, page.next);
        // Moved on without a match: read on (from the feed, once back at its head).
        if (events.length === 0 && this.at !== before && !signal?.aborted) continue;
      }
      if (events.length > 0) return { events, position: this.at };
      const left = deadline - now();
      if (left <= 0 || signal?.aborted) return { events, position: this.at };
      await this.feed.changed(left, signal);
    }
  }

  /** The matching events the feed holds after the cursor (moving it to the feed's head); null if it holds too few. */
  private take(): Arrival[] | null {
    const held = this.feed.since(this.at);
    return held === null ? null : this.advance(held.arrivals, held.next);
  }

  private advance(arrivals: Arrival[], next: ArrivalPosition): Arrival[] {
    const events = arrivals.filter((a) => matches(this.query, a.event));
    if (next > this.at) this.at = next;
    return events;
  }
}
