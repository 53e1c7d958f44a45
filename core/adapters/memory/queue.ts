import type { LogEvent } from "../../log-event.ts";
import { type LogQueue, QueueUnavailableError } from "../../ports/log-queue.ts";
import type { LogStore } from "../../ports/log-store.ts";
import { GroupCommit, type GroupCommitOptions } from "../group-commit.ts";

/** Group commit of store writes; `concurrency` 1 for PGlite, which runs one statement at a time. */
export type MemoryQueueOptions = Omit<GroupCommitOptions, "timeout">;

/** What the queue knows of its store's state, when the store can say (the embedded database). */
export interface StoreGuard {
  /** Why the store cannot take writes now, or null; meanwhile publish fails at once (503). */
  fault(): string | null;
  /** A commit failed or did not finish in time: let the store check itself (and recover). */
  failed(why: string): void;
  /** Longest one commit may take before it counts as failed, ms. */
  commitTimeoutMs: number;
}

/** Seconds a client is told to wait while the store is unavailable. */
const RETRY_AFTER_SECONDS = 5;

/**
 * The embedded profile's ingest queue: in-process group commit. Concurrent requests' events are
 * gathered into one store write; each publish() resolves only when its own events are committed, so
 * the API never acknowledges what is not durable. Memory is bounded by `maxPending` (backpressure as
 * 503 + Retry-After upstream), never by hope.
 */
export class MemoryLogQueue implements LogQueue {
  private readonly writes: GroupCommit<LogEvent>;

  constructor(
    store: LogStore,
    opts: MemoryQueueOptions,
    private readonly guard?: StoreGuard,
  ) {
    const write = guard
      ? (events: LogEvent[]) => guarded(store.write(events), guard)
      : store.write.bind(store);
    this.writes = new GroupCommit(opts, write, async (err) =>
      guard?.failed(err instanceof Error ? err.message : String(err)),
    );
  }

  publish(events: LogEvent[]): Promise<void> {
    const fault = this.guard?.fault();
    if (fault && events.length > 0)
      return Promise.reject(new QueueUnavailableError(fault, RETRY_AFTER_SECONDS));
    return this.writes.submit(events);
  }

  lag(): number {
    return this.writes.pending();
  }

  async health() {
    const fault = this.guard?.fault();
    if (fault) return { status: "degraded" as const, detail: `refusing writes: ${fault}` };
    return this.writes.health("write", (n) => `${n} pending`);
  }

  /** Stop accepting, and wait until everything accepted is committed (or has failed). */
  close(): Promise<void> {
    return this.writes.close();
  }
}

/** A commit that does not finish within the guard's time fails (it may still land later: not acknowledged). */
function guarded<T>(write: Promise<T>, guard: StoreGuard): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const reason = `a write did not finish within ${guard.commitTimeoutMs} ms`;
      reject(new QueueUnavailableError(reason, RETRY_AFTER_SECONDS));
    }, guard.commitTimeoutMs);
  });
  write.catch(() => {}); // a write abandoned at its deadline may still fail later
  return Promise.race([write, late]).finally(() => clearTimeout(timer));
}
