import { hostname } from "node:os";
import { systemResolver } from "../../core/alerts/resolve-bun.ts";
import type { Config } from "../../core/config.ts";
import { alertEngine } from "../../stream-jobs/scheduler/scheduler.ts";
import type { TickDeps } from "../../stream-jobs/scheduler/tick.ts";
import type { Runtime } from "./runtime.ts";

/** The alert engine on Bun: ticks claimed as host:pid, webhook hosts resolved with node:dns first. */
export function bunAlertEngine(
  runtime: Runtime,
  config: Pick<Config, "ALERT_EVAL_INTERVAL_SECONDS" | "ALLOW_PRIVATE_WEBHOOKS">,
): TickDeps {
  const ticks = runtime.built.alertTicks;
  if (!ticks) throw new Error("the alert scheduler needs a database"); // Bun always opens one
  return alertEngine({ ...runtime.built, alertTicks: ticks }, config, {
    owner: `${hostname()}:${process.pid}`,
    resolve: systemResolver,
  });
}
