/**
 * The retention job: plans once (plan.ts), then each hour deletes the events (and anomalies) older than
 * the retention the plan allows. A pass that fails is logged and the next one tries again, the plan
 * included when it could not be made.
 */
import type { LogLine } from "../logger.ts";
import type { LogStore } from "../ports/log-store.ts";
import type { SystemConfigRepo } from "../ports/system-config.ts";
import { DAY_MS, describeDays, planRetention, type RetentionPlan } from "./plan.ts";

export interface RetentionDeps {
  store: LogStore;
  /** Anomalies older than the cutoff go too. */
  anomalies?: { deleteOlderThan(cutoff: number): Promise<number> };
  /** Pattern templates last seen before the cutoff go too (their events are gone). */
  patterns?: { deleteOlderThan(cutoff: number): Promise<number> };
  settings: SystemConfigRepo;
  days: number;
  confirmed: boolean;
  log?: LogLine;
  /** Time between passes (default one hour). */
  intervalMs?: number;
  now?: () => number;
}

export interface RetentionJob {
  /** Resolves after the first pass (the plan and its deletions). */
  ready: Promise<void>;
  /** Stop the timer and wait for a pass in progress (it holds a database connection). */
  close(): Promise<void>;
}

const n = (x: number) => x.toLocaleString("en-US");

function announce(plan: RetentionPlan, log: LogLine | undefined): void {
  if (plan.kind === "hold") {
    const keep =
      plan.days === null
        ? "no retention was ever recorded in this database, so none is applied"
        : `retention stays at ${plan.days} days`;
    log?.({
      level: "WARNING",
      msg:
        `RETENTION_DAYS=${plan.wanted} would delete ${n(plan.doomed.events)} stored events of ` +
        `${plan.doomed.days.length} days: ${describeDays(plan.doomed)}. Nothing of it is deleted until you confirm: ` +
        `restart with --yes or RETENTION_CONFIRM=true. Until then ${keep}.`,
      retention_days: plan.wanted,
      retention_in_force: plan.days,
      events_to_delete: plan.doomed.events,
    });
  } else if (plan.doomed) {
    log?.({
      level: "WARNING",
      msg:
        `RETENTION_DAYS=${plan.days} (confirmed): deleting ${n(plan.doomed.events)} stored events of ` +
        `${plan.doomed.days.length} days: ${describeDays(plan.doomed)}`,
      retention_days: plan.days,
      retention_before: plan.previous,
      events_to_delete: plan.doomed.events,
    });
  }
}

export function startRetention(deps: RetentionDeps): RetentionJob {
  const now = deps.now ?? Date.now;
  let plan: RetentionPlan | undefined;
  const pass = async () => {
    try {
      if (!plan) {
        plan = await planRetention({ ...deps, now: now() });
        announce(plan, deps.log);
      } else if (plan.kind === "hold") {
        announce(plan, deps.log); // a reminder each pass while the lower retention waits for confirmation
      }
      if (plan.days === null) return;
      const cutoff = now() - plan.days * DAY_MS;
      const removed = await deps.store.deleteOlderThan(cutoff);
      await deps.anomalies?.deleteOlderThan(cutoff);
      await deps.patterns?.deleteOlderThan(cutoff);
      if (removed) deps.log?.({ level: "INFO", msg: "retention", removed, retention_days: plan.days });
    } catch (err) {
      deps.log?.({ level: "ERROR", msg: "retention failed", error: String(err) });
    }
  };
  // One pass at a time: a slow one delays the next instead of running beside it.
  let running = pass();
  const ready = running;
  const timer = setInterval(() => {
    running = running.then(pass);
  }, deps.intervalMs ?? 3_600_000);
  timer.unref?.();
  return {
    ready,
    async close() {
      clearInterval(timer);
      await running;
    },
  };
}
