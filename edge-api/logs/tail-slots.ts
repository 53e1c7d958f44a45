/** One open tail, held by its caller until the stream ends. */
export interface TailSlot {
  /** The SSE id last sent on this stream: a reconnect naming it is this stream's client coming back. */
  lastId: string;
  release(): void;
}

interface Held extends TailSlot {
  /** Ends the stream (its client reconnected on another before this one noticed it had gone). */
  end(): void;
}

/**
 * The per-caller cap on open tails (TAIL_MAX_PER_USER), counted in this process: each API replica (and
 * each Workers isolate) counts its own. A client that reconnects before its old stream noticed it was
 * gone (a dead TCP connection is noticed only when a write fails) would find its own old stream in the
 * way; a reconnect whose Last-Event-ID is the last id a stream of the same caller sent takes that
 * stream's place instead of being refused.
 */
export class TailSlots {
  private readonly byCaller = new Map<string, Set<Held>>();

  constructor(readonly max: number) {}

  /**
   * A slot for `caller`, or null at the cap. `resumeFrom` is the Last-Event-ID the request came with;
   * `end` closes the stream this slot will belong to, should a reconnect take its place.
   */
  acquire(caller: string, resumeFrom: string | undefined, startId: string, end: () => void): TailSlot | null {
    const held = this.byCaller.get(caller) ?? new Set<Held>();
    if (held.size >= this.max) {
      const stale = resumeFrom === undefined ? undefined : [...held].find((s) => s.lastId === resumeFrom);
      if (!stale) return null;
      stale.release();
      stale.end();
    }
    const set = held;
    const slot: Held = {
      lastId: startId,
      end,
      release: () => {
        if (!set.delete(slot)) return;
        if (set.size === 0 && this.byCaller.get(caller) === set) this.byCaller.delete(caller);
      },
    };
    set.add(slot);
    this.byCaller.set(caller, set);
    return slot;
  }

  /** Open tails of `caller`. */
  count(caller: string): number {
    return this.byCaller.get(caller)?.size ?? 0;
  }

  /** End every open tail (the process is stopping; their clients reconnect elsewhere or later). */
  endAll(): void {
    for (const held of [...this.byCaller.values()]) {
      for (const slot of [...held]) {
        slot.release();
        slot.end();
      }
    }
  }
}
