import type { LogEvent } from "../../log-event.ts";
import type { LogQueue } from "../../ports/log-queue.ts";
import type { LogStore } from "../../ports/log-store.ts";
import { GroupCommit, type GroupCommitOptions } from "../group-commit.ts";

/** Group commit of store writes; `concurrency` 1 for PGlite, which runs one statement at a time. */
export type MemoryQueueOptions = Omit<GroupCommitOptions, "timeout">;

/**
 * The embedded profile's ingest queue: in-process group commit. Concurrent requests' events are
 * gathered into one store write; each publish() resolves only when its own events are committed, so
 * the API never acknowledges what is not durable. Memory is bounded by `maxPending` (backpressure as
 * 503 + Retry-After upstream), never by hope.
 */
export class MemoryLogQueue implements LogQueue {
  private readonly writes: GroupCommit<LogEvent>;

  constructor(store: LogStore, opts: MemoryQueueOptions) {
    this.writes = new GroupCommit(opts, (events) => store.write(events));
  }

  publish(events: LogEvent[]): Promise<void> {
    return this.writes.submit(events);
  }

  lag(): number {
    return this.writes.pending();
  }

  async health() {
    return this.writes.health("write", (n) => `${n} pending`);
  }

  /** Stop accepting, and wait until everything accepted is committed (or has failed). */
  close(): Promise<void> {
    return this.writes.close();
  }
}
