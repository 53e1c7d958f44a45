import { createNotifier } from "../../core/alerts/notify.ts";
import type { Resolver } from "../../core/alerts/ssrf.ts";
import type { Config } from "../../core/config.ts";
import type { LogLine } from "../../core/logger.ts";
import type { AlertRuleRepo, AlertTickRepo, TriggeredAlertRepo } from "../../core/ports/alerts.ts";
import type { AnomalyRepo } from "../../core/ports/anomalies.ts";
import type { LogStore } from "../../core/ports/log-store.ts";
import type { PatternRepo } from "../../core/ports/patterns.ts";
import type { Telemetry } from "../../core/ports/telemetry.ts";
import { runAlertTick, type TickDeps } from "./tick.ts";

/** What the alert engine takes from a runtime's dependencies (buildDeps's Deps has them all). */
export interface AlertEngineSources {
  store: LogStore;
  alertRules: AlertRuleRepo;
  triggeredAlerts: TriggeredAlertRepo;
  alertTicks: AlertTickRepo;
  anomalies?: AnomalyRepo | undefined;
  /** Pattern templates, for new-pattern rules. */
  patternRepo?: PatternRepo | undefined;
  log?: LogLine;
  telemetry?: Telemetry | undefined;
}

/**
 * The alert engine's dependencies. `owner` names who claims ticks (host and pid, or "workers");
 * `resolve` is how webhook hosts given as names are resolved before a notification is sent (node:dns
 * on Bun; Workers have no DNS API, and their egress cannot reach a private network).
 */
export function alertEngine(
  deps: AlertEngineSources,
  config: Pick<Config, "ALERT_EVAL_INTERVAL_SECONDS" | "ALLOW_PRIVATE_WEBHOOKS">,
  opts: { owner: string; resolve?: Resolver },
): TickDeps {
  return {
    store: deps.store,
    rules: deps.alertRules,
    alerts: deps.triggeredAlerts,
    anomalies: deps.anomalies,
    ...(deps.patternRepo ? { patterns: deps.patternRepo } : {}),
    ticks: deps.alertTicks,
    notify: createNotifier({
      guard: {
        allowPrivate: config.ALLOW_PRIVATE_WEBHOOKS,
        ...(opts.resolve ? { resolve: opts.resolve } : {}),
      },
      log: deps.log,
    }),
    log: deps.log,
    telemetry: deps.telemetry,
    intervalMs: config.ALERT_EVAL_INTERVAL_SECONDS * 1000,
    owner: opts.owner,
  };
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

/** Evaluate every active rule every ALERT_EVAL_INTERVAL_SECONDS (each tick once across schedulers). */
export function startAlertScheduler(engine: TickDeps): Scheduler {
  return startScheduler({
    intervalMs: engine.intervalMs,
    log: engine.log,
    async tick(now) {
      const started = performance.now();
      const r = await runAlertTick(engine, now);
      if (r.claimed && r.outcome) {
        engine.log?.({
          level: r.outcome.fired || r.outcome.resolved || r.anomalies ? "INFO" : "DEBUG",
          msg: "alert tick",
          tick: r.tick,
          rules: r.outcome.rules,
          fired: r.outcome.fired,
          resolved: r.outcome.resolved,
          anomalies: r.anomalies,
          ms: Math.round(performance.now() - started),
        });
      }
    },
  });
}
