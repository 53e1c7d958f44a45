import { type LogQueue, QueueFullError } from "../ports/log-queue.ts";

/** Options of a group commit. */
export interface GroupCommitOptions {
  /** Most items accepted but not yet committed; past it submit() fails fast with QueueFullError. */
  maxPending: number;
  /** Largest commit, in items (a single submit larger than this is still committed whole). */
  batchSize: number;
  /**
   * How long the first submit of an idle group commit waits for company before a commit starts, ms.
   * Only with `concurrency` 1: with more, a free commit slot takes a submit at once.
   */
  lingerMs: number;
  /** Commits in flight at once. 1 keeps commits in submit order (Kafka's idempotent producer needs it). */
  concurrency: number;
  /**
   * How long a submit waits for its commit before it is rejected with `timeout.error()`, ms; a submit
   * still queued then is dropped from its batch, one already sent may land later. Default: no limit.
   */
  timeout?: { ms: number; error: () => Error };
}

interface Pending<T> {
  items: T[];
  settled: boolean;
  resolve: () => void;
  reject: (err: unknown) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Group commit: items submitted by concurrent callers are gathered into one commit (a store write, a
 * produce request), and each submit() resolves only once its own items are committed, or rejects with
 * the commit's error. Memory is bounded by `maxPending`: the caller answers QueueFullError as 503 +
 * Retry-After, never by buffering more.
 */
export class GroupCommit<T> {
  private queue: Pending<T>[] = [];
  private queued = 0;
  private inFlight = 0;
  private running = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  /** The last failed commit, for health(). */
  lastError: { at: number; message: string } | null = null;

  /**
   * @param commit makes the items durable; a rejection fails every submit of the batch.
   * @param afterFailure runs after a failed commit's submits are rejected and before the next commit
   *   starts (say, to replace a client whose state the failure left in doubt).
   */
  constructor(
    private readonly opts: GroupCommitOptions,
    private readonly commit: (items: T[]) => Promise<unknown>,
    private readonly afterFailure?: (err: unknown) => Promise<void>,
  ) {}

  /**
   * Why `count` more items would be refused now (closed, or past maxPending), or null: lets a caller
   * skip preparing items that would be refused.
   */
  refusal(count: number): QueueFullError | null {
    if (this.closed) return new QueueFullError(5);
    if (this.queued + this.inFlight + count > this.opts.maxPending) return new QueueFullError(1);
    return null;
  }

  submit(items: T[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    const refused = this.refusal(items.length);
    if (refused) return Promise.reject(refused);
    return new Promise<void>((resolve, reject) => {
      const p: Pending<T> = { items, settled: false, resolve, reject, timer: undefined };
      const timeout = this.opts.timeout;
      if (timeout) p.timer = setTimeout(() => settle(p, { err: timeout.error() }), timeout.ms);
      this.queue.push(p);
      this.queued += items.length;
      this.schedule();
    });
  }

  /** Items accepted and not yet committed (or failed). */
  pending(): number {
    return this.queued + this.inFlight;
  }

  /**
   * Degraded for a minute after a failed commit (`failed` says what failed: "write", "publish"), or
   * while more than 90 % of maxPending is taken; healthy otherwise, with `backlog` wording the pending
   * count.
   */
  health(failed: string, backlog: (pending: number) => string): Awaited<ReturnType<LogQueue["health"]>> {
    if (this.lastError && Date.now() - this.lastError.at < 60_000) {
      return { status: "degraded", detail: `last ${failed} failed: ${this.lastError.message}` };
    }
    const pending = this.pending();
    return {
      status: pending / this.opts.maxPending > 0.9 ? "degraded" : "healthy",
      detail: backlog(pending),
    };
  }

  /** Stop accepting, and wait until everything accepted is committed or has failed, or until `deadline`. */
  async close(deadline = Number.POSITIVE_INFINITY): Promise<void> {
    this.closed = true;
    while (this.pending() > 0 && Date.now() < deadline) {
      this.schedule(true);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private schedule(now = false): void {
    if (this.queue.length === 0 || this.running >= this.opts.concurrency) return;
    if (this.timer) {
      if (!now && this.queued < this.opts.batchSize) return;
      clearTimeout(this.timer);
      this.timer = null;
    }
    // Only an idle group commit with one commit slot lingers: while a commit runs, the next batch
    // gathers by itself. With several slots (Postgres) a submit takes a free one at once: lingering
    // there merged concurrent requests whose handlers held the event loop past the linger (a shipper
    // protocol decodes its body in one go) into one commit, so fewer commits ran side by side, and on
    // a busy machine the protocols stored 0.7-0.8 of native's events/s at the same CPU per event.
    if (
      !now &&
      this.running === 0 &&
      this.opts.concurrency === 1 &&
      this.opts.lingerMs > 0 &&
      this.queued < this.opts.batchSize
    ) {
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
    const batch: Pending<T>[] = [];
    let n = 0;
    while (
      this.queue.length > 0 &&
      (n === 0 || n + (this.queue[0]?.items.length ?? 0) <= this.opts.batchSize)
    ) {
      const p = this.queue.shift()!;
      batch.push(p);
      n += p.items.length;
    }
    this.queued -= n;
    this.inFlight += n;
    this.running++;
    void this.run(batch, n);
    // Use every permitted concurrent commit while the queue has work.
    if (this.queue.length > 0) this.schedule(true);
  }

  private async run(batch: Pending<T>[], n: number): Promise<void> {
    // Submits that timed out while queued are not committed: their callers were answered already.
    const live = batch.filter((p) => !p.settled);
    try {
      if (live.length > 0) {
        await this.commit(live.length === 1 ? live[0]!.items : live.flatMap((p) => p.items));
      }
      for (const p of live) settle(p, null);
    } catch (err) {
      this.lastError = { at: Date.now(), message: err instanceof Error ? err.message : String(err) };
      for (const p of live) settle(p, { err });
      await this.afterFailure?.(err).catch(() => {});
    } finally {
      this.inFlight -= n;
      this.running--;
      this.schedule(true);
    }
  }
}

/** Answer a submit once: a commit that ends after its timeout answers nobody. */
function settle<T>(p: Pending<T>, failure: { err: unknown } | null): void {
  clearTimeout(p.timer);
  if (p.settled) return;
  p.settled = true;
  if (failure) p.reject(failure.err);
  else p.resolve();
}
