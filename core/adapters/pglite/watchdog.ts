/**
 * Whether the embedded database is stuck or only slow. PGlite is one session: a probe (`select 1`)
 * waits behind whatever statement runs there, so a probe that is late says nothing by itself: a big
 * batch of writes on a busy machine made it late, and the thread was restarted mid-write (what it had
 * not committed was lost and sent again). The thread records when a statement last finished; the
 * database counts as stuck only when the probe fails, or when no statement finished for `stallMs`.
 */

export interface ProbeWatch {
  /** The probe on the database's connection; it answers once what runs before it has finished. */
  probe: Promise<unknown>;
  /** When the database thread last finished a statement, in `now`'s milliseconds. */
  lastFinished: () => number;
  /** How long with no finished statement counts as stuck, ms (STORE_WRITE_TIMEOUT_MS). */
  stallMs: number;
  /** How often to look at the thread's progress while the probe waits, ms. */
  everyMs: number;
  /** The clock (tests pass their own). Default Date.now, the clock the thread writes with. */
  now?: () => number;
  /** Waits `ms` (tests pass their own). */
  wait?: (ms: number) => Promise<void>;
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    // A watch still waiting must not hold the process open at exit.
    (timer as { unref?: () => void }).unref?.();
  });

/** Why the database counts as stuck, or null once the probe answers. */
export async function stuckBecause(watch: ProbeWatch): Promise<string | null> {
  const now = watch.now ?? Date.now;
  const wait = watch.wait ?? sleep;
  const answer = watch.probe.then(
    () => ({ failed: false as const }),
    (err: unknown) => ({ failed: true as const, err }),
  );
  for (;;) {
    const settled = await Promise.race([answer, wait(watch.everyMs).then(() => null)]);
    if (settled && !settled.failed) return null;
    if (settled?.failed) {
      const err = settled.err;
      return `the probe failed: ${err instanceof Error ? err.message : String(err)}`;
    }
    const idle = now() - watch.lastFinished();
    if (idle >= watch.stallMs) return `no statement finished for ${Math.round(idle)} ms`;
  }
}
