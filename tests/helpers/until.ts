/**
 * Polls `probe` every 250 ms until it answers a value (a throw counts as not yet), or throws after
 * `ms` naming `what`: for processes and engines that become ready in their own time.
 */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(250);
  }
}

/**
 * Returns once at least `spareMs` are left of the current minute, waiting for the next one if fewer
 * are: rate-limit windows turn on the epoch's minutes, and a burst straddling a turn is weighed by
 * the sliding window's overlap, not counted whole.
 */
export async function withinOneMinute(spareMs: number): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 60_000 - spareMs) await Bun.sleep(60_000 - intoMinute + 50);
}
