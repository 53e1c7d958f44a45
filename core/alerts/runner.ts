import type { AlertTickRepo } from "../ports/alerts.ts";
import { type EngineDeps, type EvaluationOutcome, evaluateRules } from "./engine.ts";

export interface TickDeps extends EngineDeps {
  ticks: AlertTickRepo;
  /** ALERT_EVAL_INTERVAL_SECONDS in ms: ticks are the multiples of it since the epoch. */
  intervalMs: number;
  /** Who claims the tick (host and pid, or "workers"), kept in alert_ticks for diagnosis. */
  owner: string;
}

export interface TickResult {
  tick: number;
  /** False when another scheduler had already claimed this tick: nothing was evaluated. */
  claimed: boolean;
  outcome?: EvaluationOutcome;
}

/**
 * One scheduler tick: claim it in the database (an insert that only one scheduler can win, whatever
 * their number and runtime: Bun processes, Workers cron), then evaluate every active rule once.
 */
export async function runAlertTick(deps: TickDeps, now: number): Promise<TickResult> {
  const tick = Math.floor(now / deps.intervalMs);
  if (!(await deps.ticks.claim(tick, deps.owner))) return { tick, claimed: false };
  try {
    const outcome = await evaluateRules(deps, now);
    await deps.ticks.finish(tick, { rules: outcome.rules, fired: outcome.fired, resolved: outcome.resolved });
    return { tick, claimed: true, outcome };
  } catch (err) {
    await deps.ticks
      .finish(tick, {
        rules: 0,
        fired: 0,
        resolved: 0,
        error: err instanceof Error ? err.message : String(err),
      })
      .catch(() => {});
    throw err;
  }
}

export interface Scheduler {
  /** Stop ticking and wait for a running tick to end. */
  stop(): Promise<void>;
}

/**
 * Run `tick` at every multiple of `intervalMs` (wall clock), never two at once in this process: a tick
 * still running when the next is due makes that one skipped, not queued.
 */
export function startScheduler(opts: {
  intervalMs: number;
  tick: (now: number) => Promise<unknown>;
  log?: (line: Record<string, unknown>) => void;
}): Scheduler {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    const now = Date.now();
    const next = (Math.floor(now / opts.intervalMs) + 1) * opts.intervalMs;
    timer = setTimeout(fire, next - now);
  };
  const fire = () => {
    const now = Date.now();
    if (running) {
      opts.log?.({ level: "WARNING", msg: "alert tick skipped: the previous one is still running" });
    } else {
      running = opts
        .tick(now)
        .catch((err) => opts.log?.({ level: "ERROR", msg: "alert tick failed", error: String(err) }))
        .finally(() => {
          running = undefined;
        });
    }
    schedule();
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
