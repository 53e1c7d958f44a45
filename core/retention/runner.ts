/**
 * The retention job: plans once (plan.ts), then each hour deletes the events (and anomalies) older than
 * the retention the plan allows. A pass that fails is logged and the next one tries again, the plan
 * included when it could not be made. Then the per-service rules (rules.ts) delete their services' events
 * older than their own days, and what each removed is recorded with it.
 */
import type { LogLine } from "../logger.ts";
import type { LogStore } from "../ports/log-store.ts";
import type { RetentionRuleRepo } from "../ports/retention-rules.ts";
import type { SystemConfigRepo } from "../ports/system-config.ts";
import { DAY_MS, describeDays, planRetention, type RetentionPlan } from "./plan.ts";
import { ruleFor } from "./rules.ts";

export interface RetentionDeps {
  store: LogStore;
  /** Anomalies older than the cutoff go too. */
  anomalies?: { deleteOlderThan(cutoff: number): Promise<number> };
  /** Pattern templates last seen before the cutoff go too (their events are gone). */
  patterns?: { deleteOlderThan(cutoff: number): Promise<number> };
  settings: SystemConfigRepo;
  /** Per-service rules, applied after the global retention each pass; absent: none. */
  rules?: RetentionRuleRepo;
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
      if (plan.days !== null) await applyGlobal(plan.days);
    } catch (err) {
      deps.log?.({ level: "ERROR", msg: "retention failed", error: String(err) });
    }
    if (!deps.rules) return;
    try {
      await applyServiceRules(deps.store, deps.rules, now(), plan?.days ?? null, deps.log);
    } catch (err) {
      deps.log?.({ level: "ERROR", msg: "per-service retention failed", error: String(err) });
    }
  };
  const applyGlobal = async (days: number) => {
    const cutoff = now() - days * DAY_MS;
    const removed = await deps.store.deleteOlderThan(cutoff);
    await deps.anomalies?.deleteOlderThan(cutoff);
    await deps.patterns?.deleteOlderThan(cutoff);
    if (removed) deps.log?.({ level: "INFO", msg: "retention", removed, retention_days: days });
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

/**
 * One pass of the per-service rules: each service holding events older than the shortest rule's days
 * goes with its most specific rule, and each rule deletes its services' events older than its days.
 * A rule no shorter than the retention in force (`globalDays`) has nothing left to delete. Records and
 * answers what each rule removed (0 for a rule that matched nothing).
 */
/**
 * Which services each rule would delete events of at `now` (deleting nothing): per pattern, its days and
 * the services (sorted) it applies to that hold events older than its days. A rule no shorter than
 * `globalDays` is left out: the global pass deletes everything it would.
 */
export async function pendingByRule(
  store: LogStore,
  rules: readonly { pattern: string; days: number }[],
  now: number,
  globalDays: number | null,
): Promise<Map<string, { days: number; services: string[] }>> {
  const groups = new Map<string, { days: number; services: string[] }>();
  if (rules.length === 0) return groups;
  const shortest = Math.min(...rules.map((r) => r.days));
  const services = await store.breakdown({ to: now - shortest * DAY_MS - 1 }, "service");
  for (const { key } of services) {
    const rule = ruleFor(key, rules);
    if (!rule || (globalDays !== null && rule.days >= globalDays)) continue;
    const group = groups.get(rule.pattern) ?? { days: rule.days, services: [] };
    group.services.push(key);
    groups.set(rule.pattern, group);
  }
  for (const group of groups.values()) group.services.sort();
  return groups;
}

export async function applyServiceRules(
  store: LogStore,
  repo: RetentionRuleRepo,
  now: number,
  globalDays: number | null,
  log?: LogLine,
): Promise<Map<string, number>> {
  const rules = await repo.list();
  const removed = new Map(rules.map((r) => [r.pattern, 0]));
  if (rules.length === 0) return removed;
  for (const [pattern, group] of await pendingByRule(store, rules, now, globalDays)) {
    const n = await store.deleteServicesOlderThan(group.services, now - group.days * DAY_MS);
    removed.set(pattern, n);
    if (n) log?.({ level: "INFO", msg: "retention", pattern, retention_days: group.days, removed: n });
  }
  await repo.recordRun(now, removed);
  return removed;
}
