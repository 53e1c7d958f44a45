/**
 * Which template to forget when a service has too many: a segmented LRU. A template seen once waits in
 * probation; a second sighting moves it to the protected segment. The victim is the least recently seen
 * template in probation, so a flood of one-off lines (an unmasked id, a stack trace) evicts other
 * one-offs and never the templates a service writes all day; only when probation is empty does the
 * least recently seen protected template go.
 */
export class Recency<T> {
  // Maps iterate in insertion order: re-inserting moves an entry to the most recent end.
  private readonly probation = new Map<T, true>();
  private readonly protect = new Map<T, true>();

  constructor(private readonly protectedMax: number) {}

  get size(): number {
    return this.probation.size + this.protect.size;
  }

  /** A new entry, in probation (or straight into the protected segment when restoring one). */
  add(item: T, isProtected = false): void {
    (isProtected ? this.protect : this.probation).set(item, true);
    this.trimProtected();
  }

  /** A sighting: promote from probation, or refresh in the protected segment. */
  touch(item: T): void {
    if (this.protect.delete(item)) {
      this.protect.set(item, true);
      return;
    }
    this.probation.delete(item);
    this.protect.set(item, true);
    this.trimProtected();
  }

  remove(item: T): void {
    this.probation.delete(item) || this.protect.delete(item);
  }

  clear(): void {
    this.probation.clear();
    this.protect.clear();
  }

  isProtected(item: T): boolean {
    return this.protect.has(item);
  }

  /** The entry to evict next, without removing it. */
  victim(): T | undefined {
    for (const item of this.probation.keys()) return item;
    for (const item of this.protect.keys()) return item;
    return undefined;
  }

  /** Every entry, least recently seen first: probation, then the protected segment. */
  *entries(): IterableIterator<T> {
    yield* this.probation.keys();
    yield* this.protect.keys();
  }

  // A protected segment past its size hands its least recent entry back to probation (as SLRU does), so
  // probation always has room for new templates to prove themselves.
  private trimProtected(): void {
    while (this.protect.size > this.protectedMax) {
      const oldest = this.protect.keys().next().value as T;
      this.protect.delete(oldest);
      this.probation.set(oldest, true);
    }
  }
}
