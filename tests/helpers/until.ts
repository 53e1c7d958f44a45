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
