/**
 * Run one command in this process's place: it shares our stdio, the signals that stop us are passed on
 * to it, and we exit with its status. `bun run` delivers SIGTERM (and a SIGINT sent to its pid rather
 * than to the terminal's process group) to its direct child only; a launcher that merely waits dies of
 * it and leaves its own child running. The `deno` npm package's bin.cjs is such a launcher (spawnSync),
 * which is why `bun run dev:deno` used to leave Deno serving.
 */
import { constants } from "node:os";

/** The signals that mean "stop": each is forwarded to the child, which decides how to stop. */
export const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** The exit status a shell reports for a process killed by `signal` (128 + its number). */
export function signalStatus(signal: NodeJS.Signals | number): number {
  const n = typeof signal === "number" ? signal : (constants.signals as Record<string, number>)[signal];
  return 128 + (n ?? 15);
}

/**
 * Spawn `cmd`, forward SIGINT/SIGTERM/SIGHUP to it, and exit with its exit code (or 128 + the signal
 * that killed it). Never returns.
 */
export async function runInPlace(
  cmd: string[],
  opts: { env?: Record<string, string | undefined>; cwd?: string } = {},
): Promise<never> {
  const child = Bun.spawn(cmd, {
    stdio: ["inherit", "inherit", "inherit"],
    env: opts.env ?? process.env,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
  for (const signal of STOP_SIGNALS) {
    process.on(signal, () => {
      // A Ctrl-C reaches the child from the terminal too; a second SIGINT is harmless for the runtimes
      // started this way (each stops once).
      if (child.exitCode === null) child.kill(signal);
    });
  }
  const code = await child.exited;
  process.exit(child.signalCode ? signalStatus(child.signalCode) : code);
}
