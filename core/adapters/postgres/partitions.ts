import type { Sql } from "postgres";

/** One UTC day in milliseconds: the span of one `logs` partition. */
export const DAY_MS = 86_400_000;

/**
 * Arbitrary constant: the advisory lock under which partitions are created and dropped, so that
 * processes creating the same day at once wait for each other instead of failing, and retention never
 * drops a partition another process is creating.
 */
const PARTITION_LOCK = 7_164_029_312;

const NAME_RE = /^logs_p(\d{4})(\d{2})(\d{2})$/;

/** The UTC day number (days since the epoch) of an epoch-ms time. */
export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** The partition holding a UTC day: `logs_pYYYYMMDD`. */
export function partitionName(day: number): string {
  const iso = new Date(day * DAY_MS).toISOString();
  return `logs_p${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}`;
}

/** The UTC day a partition name stands for, or null for a table that is not one of ours. */
export function dayOfPartition(name: string): number | null {
  const m = NAME_RE.exec(name);
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return partitionName(dayOf(ms)) === name ? dayOf(ms) : null;
}

/**
 * Daily partitions of `logs`: created on demand before writes, dropped by retention.
 *
 * Days known to exist are cached so that the write path costs no DDL after a day's first batch. The
 * cache can go stale when another process drops a day (retention); the store then sees "no partition
 * for row" on insert, calls `forget()` and ensures again.
 */
export class LogPartitions {
  private readonly known = new Set<number>();
  /** Days being created by this process right now, so that concurrent writes share one creation. */
  private readonly pending = new Map<number, Promise<void>>();

  constructor(private readonly sql: Sql) {}

  /** Make sure a partition exists for the day of every given time (epoch ms). */
  async ensureFor(times: Iterable<number>): Promise<void> {
    const missing = new Set<number>();
    for (const t of times) {
      const day = dayOf(t);
      if (!this.known.has(day)) missing.add(day);
    }
    if (missing.size === 0) return;
    // Create tomorrow along with today, so that midnight does not find every writer doing DDL at once
    // (creating a partition briefly locks the whole table).
    const today = dayOf(Date.now());
    if (missing.has(today) && !this.known.has(today + 1)) missing.add(today + 1);

    const waits: Promise<void>[] = [];
    const toCreate: number[] = [];
    for (const day of missing) {
      const p = this.pending.get(day);
      if (p) waits.push(p);
      else toCreate.push(day);
    }
    if (toCreate.length > 0) {
      const p = this.create(toCreate).finally(() => {
        for (const day of toCreate) this.pending.delete(day);
      });
      for (const day of toCreate) this.pending.set(day, p);
      waits.push(p);
    }
    await Promise.all(waits);
  }

  /** Drop the cache: the next write re-checks every day it touches. */
  forget(): void {
    this.known.clear();
  }

  private async create(days: number[]): Promise<void> {
    await this.sql.begin(async (tx) => {
      // The lock makes `if not exists` race-free across processes: without it two creators of the same
      // day can both pass the existence check and one fails on the catalog's unique index.
      await tx`select pg_advisory_xact_lock(${PARTITION_LOCK})`;
      for (const day of days) {
        const from = new Date(day * DAY_MS).toISOString();
        const to = new Date((day + 1) * DAY_MS).toISOString();
        // DDL takes no bind parameters; the name and bounds are built from an integer, never from input.
        await tx.unsafe(
          `create table if not exists ${partitionName(day)} partition of logs for values from ('${from}') to ('${to}')`,
        );
      }
    });
    for (const day of days) this.known.add(day);
  }

  /**
   * Remove every event older than `cutoff` (epoch ms): drop the partitions that end at or before it,
   * then delete the older rows of the day it falls in, `sliceRows` per transaction. Returns the number
   * of events removed.
   */
  async deleteOlderThan(cutoff: number, sliceRows: number): Promise<number> {
    const cutoffDay = dayOf(cutoff);
    const rows = await this.sql<{ name: string }[]>`
      select c.relname as name
      from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'logs'::regclass`;
    const doomed = rows
      .map((r) => ({ name: r.name, day: dayOfPartition(r.name) }))
      .filter((p): p is { name: string; day: number } => p.day !== null && p.day < cutoffDay)
      .sort((a, b) => a.day - b.day);

    let removed = 0;
    for (const p of doomed) {
      // One short transaction per partition: DROP locks the parent `logs` exclusively until commit, so
      // holding it across several drops (or the boundary DELETE below) would stall every read and write.
      removed += await this.sql.begin(async (tx) => {
        await tx`select pg_advisory_xact_lock(${PARTITION_LOCK})`;
        const [found] = await tx<{ rel: string | null }[]>`select to_regclass(${p.name})::text as rel`;
        if (!found?.rel) return 0; // another process's retention got there first
        const [count] = await tx.unsafe<{ n: string | number | bigint }[]>(
          `select count(*) as n from ${p.name}`,
        );
        await tx.unsafe(`drop table ${p.name}`);
        return Number(count?.n ?? 0);
      });
      this.known.delete(p.day);
    }

    // Only the boundary day can still hold older rows; the ts bound prunes the scan to its partition.
    // An hour of them each run: deleted `sliceRows` at a time, each slice its own short transaction,
    // because the live tail reads only below the oldest transaction still running (arrivals.ts) and
    // one long delete would hold every tail back for as long as it ran.
    const before = new Date(cutoff).toISOString();
    for (;;) {
      const deleted = await this.sql`
        delete from logs where ts < ${before}::timestamptz and (ts, id) in (
          select ts, id from logs where ts < ${before}::timestamptz limit ${sliceRows})`;
      removed += deleted.count;
      if (deleted.count < sliceRows) return removed;
    }
  }
}
