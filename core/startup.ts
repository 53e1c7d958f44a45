/**
 * Start-up's dependencies (the database, Kafka, the search engine, the port): waited for with backoff
 * for STARTUP_WAIT_SECONDS, so that a stack started in any order comes up, and otherwise refused in one
 * line that names the variable and what to check, with a sysexits.h exit code. Each adapter says what
 * its client's errors mean; this module only waits and words the outcome.
 */
import type { LogLine } from "./logger.ts";

/** EX_UNAVAILABLE: a dependency did not answer (it may, later: a supervisor may restart the process). */
export const EX_UNAVAILABLE = 69;
/** EX_CONFIG: a setting is wrong; starting again with the same settings cannot help. */
export const EX_CONFIG = 78;

/** Why a process cannot start: one line for the operator, and the exit code it ends with. */
export class StartupError extends Error {
  constructor(
    readonly exitCode: typeof EX_UNAVAILABLE | typeof EX_CONFIG,
    message: string,
  ) {
    super(message);
    this.name = "StartupError";
  }
}

/** What one failed attempt means: wait and try again (saying why), or stop now. */
export type Verdict = { retry: true; reason: string } | { retry: false; error: StartupError };

export interface WaitOptions {
  /** How long to keep trying, ms (STARTUP_WAIT_SECONDS × 1000); 0 tries once. */
  waitMs: number;
  /** Where "waiting for …" goes, once, at the first failure. */
  log?: LogLine;
  /** Injectable for tests. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Run `attempt` until it succeeds, until `verdict` says waiting cannot help, or until `o.waitMs` has
 * passed, then throw `unavailable(last reason, seconds waited)`. Retries after 250 ms, doubling to 5 s.
 */
export async function waitFor<T>(
  what: string,
  attempt: () => Promise<T>,
  verdict: (err: unknown) => Verdict,
  unavailable: (reason: string, waitedSeconds: number) => StartupError,
  o: WaitOptions,
): Promise<T> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const started = now();
  const deadline = started + o.waitMs;
  let delay = 250;
  let logged = false;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      const v = verdict(err);
      if (!v.retry) throw v.error;
      const left = deadline - now();
      if (left <= 0) throw unavailable(v.reason, Math.round((now() - started) / 1000));
      if (!logged) {
        logged = true;
        o.log?.({
          level: "WARNING",
          msg: `waiting for ${what}: ${v.reason} (trying again for up to ${Math.round(o.waitMs / 1000)} s, STARTUP_WAIT_SECONDS)`,
        });
      }
      await sleep(Math.min(delay, left));
      delay = Math.min(delay * 2, 5_000);
    }
  }
}

/** The text of an error, on one line. */
export function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s*\n\s*/g, " ").trim();
}
