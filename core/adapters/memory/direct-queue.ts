import type { LogEvent } from "../../log-event.ts";
import type { LogQueue } from "../../ports/log-queue.ts";
import type { LogStore } from "../../ports/log-store.ts";

/**
 * A queue that is no queue: `publish` writes the events straight to the store and resolves when the
 * store has committed them. For edge runtimes (Workers, Deno Deploy), where nothing outlives the
 * request that would let an in-process batcher gather events across requests; each request's events
 * are one store write. Durability is the store's: a failed write rejects `publish`, so the API never
 * acknowledges what is not stored.
 */
export class DirectLogQueue implements LogQueue {
  private inFlight = 0;
  private closed = false;
  private lastError: { at: number; message: string } | null = null;
  private readonly idle = new Set<() => void>();

  constructor(private readonly store: LogStore) {}

  async publish(events: LogEvent[]): Promise<void> {
    if (events.length === 0) return;
    if (this.closed) throw new Error("queue is closed");
    this.inFlight += events.length;
    try {
      await this.store.write(events);
    } catch (err) {
      this.lastError = { at: Date.now(), message: err instanceof Error ? err.message : String(err) };
      throw err;
    } finally {
      this.inFlight -= events.length;
      if (this.inFlight === 0) for (const wake of this.idle) wake();
    }
  }

  /** Events whose store write is running. */
  lag(): number {
    return this.inFlight;
  }

  async health() {
    if (this.lastError && Date.now() - this.lastError.at < 60_000) {
      return { status: "degraded" as const, detail: `last write failed: ${this.lastError.message}` };
    }
    return { status: "healthy" as const, detail: "direct to store (no batching)" };
  }

  /** Stop accepting, and wait for the writes already running. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => {
      const wake = () => {
        this.idle.delete(wake);
        resolve();
      };
      this.idle.add(wake);
    });
  }
}
