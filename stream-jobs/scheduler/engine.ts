import { hostname } from "node:os";
import type { Sql } from "postgres";
import { PostgresAlertTickRepo } from "../../core/adapters/postgres/alert-repo.ts";
import { createNotifier } from "../../core/alerts/notify.ts";
import { systemResolver } from "../../core/alerts/resolve-bun.ts";
import { runAlertTick, type Scheduler, startScheduler, type TickDeps } from "../../core/alerts/runner.ts";
import type { Config } from "../../core/config.ts";
import type { AlertRuleRepo, TriggeredAlertRepo } from "../../core/ports/alerts.ts";
import type { AnomalyRepo } from "../../core/ports/anomalies.ts";
import type { LogStore } from "../../core/ports/log-store.ts";
import type { Telemetry } from "../../core/ports/telemetry.ts";

/** What the engine takes from a runtime's dependencies (AppDeps has them all). */
export interface AlertEngineSources {
  store: LogStore;
  alertRules: AlertRuleRepo;
  triggeredAlerts: TriggeredAlertRepo;
  anomalies?: AnomalyRepo;
  log?: (line: Record<string, unknown>) => void;
  telemetry?: Telemetry;
}

/** The alert engine's dependencies on Bun, from the runtime's: notifications resolve names with node:dns. */
export function bunAlertEngine(
  deps: AlertEngineSources,
  sql: Sql,
  config: Pick<Config, "ALERT_EVAL_INTERVAL_SECONDS" | "ALLOW_PRIVATE_WEBHOOKS">,
): TickDeps {
  return {
    store: deps.store,
    rules: deps.alertRules,
    alerts: deps.triggeredAlerts,
    anomalies: deps.anomalies,
    ticks: new PostgresAlertTickRepo(sql),
    notify: createNotifier({
      guard: { allowPrivate: config.ALLOW_PRIVATE_WEBHOOKS, resolve: systemResolver },
      log: deps.log,
    }),
    log: deps.log,
    telemetry: deps.telemetry,
    intervalMs: config.ALERT_EVAL_INTERVAL_SECONDS * 1000,
    owner: `${hostname()}:${process.pid}`,
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
