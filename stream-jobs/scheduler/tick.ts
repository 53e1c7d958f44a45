import { type EngineDeps, type EvaluationOutcome, evaluateRules } from "../../core/alerts/engine.ts";
import { detect } from "../../core/anomaly/detect.ts";
import { METRICS } from "../../core/anomaly/schema.ts";
import type { AlertTickRepo } from "../../core/ports/alerts.ts";

/**
 * Minutes each tick's anomaly detection looks at (the API's smallest window). Successive ticks overlap,
 * so a point is seen again with more of what followed it: its type (spike or level shift) is updated.
 */
export const DETECT_WINDOW_MINUTES = 10;

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
  /** Anomalies this tick recorded for the first time (when the runtime keeps anomalies). */
  anomalies?: number;
}

/**
 * One scheduler tick: claim it in the database (an insert that only one scheduler can win, whatever
 * their number and runtime: Bun processes, Workers cron), then evaluate every active rule once.
 */
export async function runAlertTick(deps: TickDeps, now: number): Promise<TickResult> {
  const tick = Math.floor(now / deps.intervalMs);
  if (!(await deps.ticks.claim(tick, deps.owner))) return { tick, claimed: false };
  try {
    // Detection first, so that rules on anomalies see what this tick found.
    let anomalies: number | undefined;
    if (deps.anomalies) {
      try {
        const found = await detect(deps.store, METRICS, { window_minutes: DETECT_WINDOW_MINUTES }, now);
        anomalies = await deps.anomalies.record(found.anomalies);
      } catch (err) {
        // Log rules still run: detection failing must not silence every other alert.
        deps.log?.({ level: "ERROR", msg: "anomaly detection failed", error: String(err) });
      }
    }
    const outcome = await evaluateRules(deps, now);
    await deps.ticks.finish(tick, { rules: outcome.rules, fired: outcome.fired, resolved: outcome.resolved });
    return { tick, claimed: true, outcome, ...(anomalies !== undefined ? { anomalies } : {}) };
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
