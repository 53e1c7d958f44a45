import type { LogEvent } from "../../log-event.ts";
import { type LogQueue, QueueFullError } from "../../ports/log-queue.ts";
import type { LogStore } from "../../ports/log-store.ts";

export interface MemoryQueueOptions {
  /** Most events accepted but not yet committed; past it publish() fails fast with QueueFullError. */
  maxPending: number;
  /** Largest store write, in events (a single publish larger than this is still written whole). */
  batchSize: number;
  /** How long the first event of an idle queue waits for company before a write starts. */
  lingerMs: number;
  /** Store writes in flight at once (1 for PGlite, which runs one statement at a time). */
  concurrency: number;
}

interface Pending {
  events: LogEvent[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * The embedded profile's ingest queue: in-process group commit. Concurrent requests' events are
 * gathered into one store write; each publish() resolves only when its own events are committed, so
 * the API never acknowledges what is not durable. Memory is bounded by `maxPending` (backpressure as
 * 503 + Retry-After upstream), never by hope.
 */
export class MemoryLogQueue implements LogQueue {
  private queue: Pending[] = [];
  private queuedEvents = 0;
  private inFlightEvents = 0;
  private running = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private lastError: { at: number; message: string } | null = null;

  constructor(
    private readonly store: LogStore,
    private readonly opts: MemoryQueueOptions,
  ) {}

  publish(events: LogEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    if (this.closed) return Promise.reject(new QueueFullError(5));
    if (this.queuedEvents + this.inFlightEvents + events.length > this.opts.maxPending) {
      return Promise.reject(new QueueFullError(1));
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ events, resolve, reject });
      this.queuedEvents += events.length;
      this.schedule();
    });
  }

  lag(): number {
    return this.queuedEvents + this.inFlightEvents;
  }

  async health() {
    if (this.lastError && Date.now() - this.lastError.at < 60_000) {
      return { status: "degraded" as const, detail: `last write failed: ${this.lastError.message}` };
    }
    const full = this.lag() / this.opts.maxPending;
    return {
      status: full > 0.9 ? ("degraded" as const) : ("healthy" as const),
      detail: `${this.lag()} pending`,
    };
  }

  /** Stop accepting, and wait until everything accepted is committed (or has failed). */
  async close(): Promise<void> {
    this.closed = true;
    while (this.lag() > 0) {
      this.schedule(true);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private schedule(now = false): void {
    if (this.queue.length === 0 || this.running >= this.opts.concurrency) return;
    if (this.timer) {
      if (!now && this.queuedEvents < this.opts.batchSize) return;
      clearTimeout(this.timer);
      this.timer = null;
    }
    // Only an idle queue lingers: while a write is running, the next batch gathers by itself.
    if (!now && this.running === 0 && this.opts.lingerMs > 0 && this.queuedEvents < this.opts.batchSize) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush();
      }, this.opts.lingerMs);
      return;
    }
    this.flush();
  }

  private flush(): void {
    if (this.queue.length === 0 || this.running >= this.opts.concurrency) return;
    const batch: Pending[] = [];
    let n = 0;
    while (
      this.queue.length > 0 &&
      (n === 0 || n + (this.queue[0]?.events.length ?? 0) <= this.opts.batchSize)
    ) {
      const p = this.queue.shift()!;
      batch.push(p);
      n += p.events.length;
    }
    this.queuedEvents -= n;
    this.inFlightEvents += n;
    this.running++;
    const events = batch.length === 1 ? batch[0]!.events : batch.flatMap((p) => p.events);
    this.store
      .write(events)
      .then(
        () => {
          for (const p of batch) p.resolve();
        },
        (err: unknown) => {
          this.lastError = { at: Date.now(), message: err instanceof Error ? err.message : String(err) };
          for (const p of batch) p.reject(err);
        },
      )
      .finally(() => {
        this.inFlightEvents -= n;
        this.running--;
        this.schedule(true);
      });
    // Use every permitted concurrent writer while the queue has work.
    if (this.queue.length > 0) this.schedule(true);
  }
}
