import { describe, expect, test } from "bun:test";
import { PostgresAlertTickRepo } from "../core/adapters/postgres/alert-repo.ts";
import { recordOnlyNotifier as notify } from "../core/alerts/notify.ts";
import { startScheduler } from "../stream-jobs/scheduler/scheduler.ts";
import { runAlertTick, type TickDeps } from "../stream-jobs/scheduler/tick.ts";
import { suiteApp } from "./helpers/app.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";
import { until } from "./helpers/until.ts";

integrationTimeouts();

const t = suiteApp();

/** A scheduler's engine that counts the evaluations it runs. */
function engine(owner: string, intervalMs: number, evaluated: number[]): TickDeps {
  const deps = t.runtime.deps;
  return {
    store: deps.store,
    rules: {
      ...deps.alertRules,
      listActive: async () => {
        evaluated.push(Date.now());
        return deps.alertRules.listActive();
      },
      recordEvaluations: (at, values) => deps.alertRules.recordEvaluations(at, values),
    } as TickDeps["rules"],
    alerts: deps.triggeredAlerts,
    ticks: new PostgresAlertTickRepo(t.runtime.sql),
    notify,
    intervalMs,
    owner,
  };
}

describe("alert scheduler", () => {
  test("two schedulers on the same tick: exactly one evaluates it", async () => {
    const a: number[] = [];
    const b: number[] = [];
    const now = Date.now();
    const [ra, rb] = await Promise.all([
      runAlertTick(engine("a", 60_000, a), now),
      runAlertTick(engine("b", 60_000, b), now + 5), // same minute
    ]);
    expect([ra.claimed, rb.claimed].sort()).toEqual([false, true]);
    expect(a.length + b.length).toBe(1);
    const next = await runAlertTick(engine("b", 60_000, b), now + 60_000);
    expect(next.claimed).toBe(true);
  });

  test("two running schedulers evaluate each tick once between them", async () => {
    const intervalMs = 250;
    const claimed = new Map<number, string[]>();
    const attempts = { a: 0, b: 0 };
    const start = (name: "a" | "b") => {
      const deps = engine(name, intervalMs, []);
      return startScheduler({
        intervalMs,
        async tick(now) {
          attempts[name]++;
          const r = await runAlertTick(deps, now);
          if (r.claimed) claimed.set(r.tick, [...(claimed.get(r.tick) ?? []), name]);
        },
      });
    };
    const s1 = start("a");
    const s2 = start("b");
    // ~6 ticks in 1.6 s on a quiet machine; a loaded one runs fewer in a given time, so wait for them.
    await until(
      "4 ticks claimed, and 4 attempts by each scheduler",
      async () => (claimed.size >= 4 && attempts.a >= 4 && attempts.b >= 4) || undefined,
      20_000,
    );
    await Promise.all([s1.stop(), s2.stop()]);
    expect(claimed.size).toBeGreaterThanOrEqual(4);
    for (const owners of claimed.values()) expect(owners).toHaveLength(1);
    expect(attempts.a).toBeGreaterThanOrEqual(4);
    expect(attempts.b).toBeGreaterThanOrEqual(4);
    const rows = await t.runtime.sql<{ n: number }[]>`
      select count(*)::int as n from alert_ticks where tick = any(${[...claimed.keys()]}::bigint[]) and finished_at is not null`;
    expect(rows[0]?.n).toBe(claimed.size);
  });
});
