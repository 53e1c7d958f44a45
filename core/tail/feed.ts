import type { LogLine } from "../logger.ts";
import type { Arrival, ArrivalPage, ArrivalPosition, LogArrivals } from "../ports/log-arrivals.ts";
import type { LogStore } from "../ports/log-store.ts";

/** Options of an ArrivalFeed. */
export interface ArrivalFeedOptions {
  /** How often the store is read while a tail is open, ms: the most a new event waits to be seen. */
  pollMs: number;
  /** Most events one read of the store takes; a full page is followed by the next at once. */
  pageSize: number;
  /**
   * Most recent events kept in memory for tails a little behind (a reconnect, a slow client). A tail
   * further behind reads the store itself until it is back within them.
   */
  keepEvents: number;
  log?: LogLine;
}

/** What one read of the store added: the arrivals between two positions the feed's head took. */
interface Span {
  from: ArrivalPosition;
  to: ArrivalPosition;
  arrivals: Arrival[];
}

/** Reads prompted by this process's writes come at most this often, ms: not one per small commit. */
const POKED_READ_GAP_MS = 50;

/** Most spans kept, however few events they hold (an idle feed adds one per read). */
const MAX_SPANS = 1024;

/**
 * One reader of the store's arrival order shared by every tail of a process: while any tail is open,
 * it reads what arrived since its last read every `pollMs` (one small indexed query, however many tails
 * are open) and keeps the latest events in memory; each tail takes from there what its query matches.
 * A tail that falls behind what is kept (a reconnect from long ago, a client that reads slowly) reads
 * the store itself, bounded by the feed's head, and rejoins. Runtime-neutral: timers only.
 */
export class ArrivalFeed {
  private head: ArrivalPosition | null = null;
  private spans: Span[] = [];
  private kept = 0;
  private users = 0;
  private running = false;
  private starting: Promise<ArrivalPosition> | null = null;
  private readonly waiters = new Set<() => void>();
  /** Ends the loop's current sleep (stop); `wakeOnPoke` only a sleep until the next poll. */
  private wake: (() => void) | null = null;
  private wakeOnPoke: (() => void) | null = null;
  private poked = false;

  constructor(
    readonly arrivals: LogArrivals,
    private readonly o: ArrivalFeedOptions,
  ) {}

  /** Count a tail in: the feed reads the store while any is. Returns its leave(). */
  join(): () => void {
    this.users++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.users--;
    };
  }

  /** Open tails. */
  get tails(): number {
    return this.users;
  }

  /** The feed's head: where a tail starting now starts. The first call reads the store's. */
  async start(): Promise<ArrivalPosition> {
    if (this.head !== null) {
      this.run();
      return this.head;
    }
    this.starting ??= this.arrivals.head().finally(() => {
      this.starting = null;
    });
    const head = await this.starting;
    // Another start may have set it meanwhile; the first one stands.
    this.head ??= head;
    this.run();
    return this.head;
  }

  /**
   * What the feed holds after `position`: the arrivals since, and where they end (the head). Null when
   * it does not reach back that far: then read the store with `catchUp`. A position at or past the head
   * (a client that was on a replica further on) has nothing yet.
   */
  since(position: ArrivalPosition): { arrivals: Arrival[]; next: ArrivalPosition } | null {
    const head = this.head;
    if (head === null) return null;
    if (position >= head) return { arrivals: [], next: position };
    const first = this.spans[0];
    if (!first || first.from > position) return null;
    const out: Arrival[] = [];
    for (const span of this.spans) {
      if (span.to <= position) continue;
      for (const a of span.arrivals) if (a.position > position) out.push(a);
    }
    return { arrivals: out, next: head };
  }

  /** Read the store after `position`, up to the feed's head (so that the reader can rejoin the feed there). */
  catchUp(position: ArrivalPosition, limit: number): Promise<ArrivalPage> {
    const until = this.head ?? undefined;
    return this.arrivals.read(position, until === undefined ? { limit } : { limit, until });
  }

  /** Resolves when events next arrive, after `timeoutMs`, or when `signal` aborts, whichever is first. */
  changed(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      this.waiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  /**
   * Events were just stored by this process (its own ingest): read now instead of at the next poll,
   * though not within 50 ms of the last read. Writes by other processes wait for the poll.
   */
  poke(): void {
    this.poked = true;
    this.wakeOnPoke?.();
  }

  /** Stop reading (tails still open get nothing more); `start` begins again. */
  stop(): void {
    this.users = 0;
    this.wake?.();
  }

  private run(): void {
    if (this.running) return;
    this.running = true;
    void this.loop().finally(() => {
      this.running = false;
    });
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (this.users > 0 && this.head !== null) {
      let full = false;
      const started = performance.now();
      this.poked = false;
      try {
        const from = this.head;
        const page = await this.arrivals.read(from, { limit: this.o.pageSize });
        if (failures > 0) this.o.log?.({ level: "INFO", msg: "tail: reading arrivals again", failures });
        failures = 0;
        full = !page.reachedEnd;
        if (page.next !== from) this.add({ from, to: page.next, arrivals: page.arrivals });
      } catch (err) {
        failures++;
        // The first failure, then every 10th: an outage of minutes must not flood the log.
        if (failures === 1 || failures % 10 === 0) {
          this.o.log?.({
            level: "ERROR",
            msg: "tail: reading arrivals failed",
            failures,
            error: String(err),
          });
        }
      }
      if (full) continue;
      if (failures) {
        await this.sleep(Math.min(this.o.pollMs * 2 ** Math.min(failures, 6), 5_000), false);
        continue;
      }
      if (!this.poked) await this.sleep(this.o.pollMs, true);
      const gap = started + Math.min(this.o.pollMs, POKED_READ_GAP_MS) - performance.now();
      if (gap > 0) await this.sleep(gap, false);
    }
    // Nobody is reading: what is kept goes stale, and the next tail starts from the store's head then.
    this.head = null;
    this.spans = [];
    this.kept = 0;
  }

  private sleep(ms: number, pokeable: boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        this.wakeOnPoke = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
      if (pokeable) this.wakeOnPoke = done;
    });
  }

  private add(span: Span): void {
    const last = this.spans[this.spans.length - 1];
    // Idle reads only move the head: one span stands for them all.
    if (last && last.arrivals.length === 0 && span.arrivals.length === 0) last.to = span.to;
    else {
      this.spans.push(span);
      this.kept += span.arrivals.length;
    }
    while (this.spans.length > 1 && (this.kept > this.o.keepEvents || this.spans.length > MAX_SPANS)) {
      this.kept -= this.spans.shift()!.arrivals.length;
    }
    this.head = span.to;
    if (span.arrivals.length > 0) for (const w of [...this.waiters]) w();
  }
}

/**
 * `store`, whose writes poke `feed` once done: what this process ingests itself (the embedded profile,
 * an API writing to Postgres directly) reaches its tails without waiting for the next poll.
 */
export function pokeOnWrite(store: LogStore, feed: ArrivalFeed): LogStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop !== "write" || typeof value !== "function") return value;
      return (events: unknown) =>
        (value as LogStore["write"])
          .apply(target, [events as Parameters<LogStore["write"]>[0]])
          .finally(() => {
            feed.poke();
          });
    },
  });
}
