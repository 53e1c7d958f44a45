/**
 * `bun run bench:alerts [--events N] [--rules N] [--ticks N] [--grouped FRACTION] [--json FILE]`
 *
 * One alert evaluation tick over N active rules (default 1,000: mixed services, levels, windows of 1 min
 * to 24 h, a third with a full-text query; a fifth grouped, by service, service and level, level or
 * status_code, half of those comparing p95/avg/max of latency_ms instead of a count, and those with a
 * condition that 0 satisfies watching for silent groups) against N events (default 1,000,000 over the
 * last 24 h) in real Postgres, through the engine (core/alerts/engine.ts): the grouped counts
 * (`countMany`), the grouped rules' values (`groupMany`), open alerts, firings with their samples, and
 * the rules' stats. Notifications are console lines, discarded. `eval_ms` is the median tick; the first
 * tick (which fires the rules whose condition holds, and reads each absence rule's lookback) is shown too.
 */
import { PostgresAlertRuleRepo, PostgresTriggeredAlertRepo } from "../core/adapters/postgres/alert-repo.ts";
import { connectPostgres } from "../core/adapters/postgres/connect.ts";
import { PostgresLogStore } from "../core/adapters/postgres/log-store.ts";
import { migrate } from "../core/adapters/postgres/migrate.ts";
import { evaluateRules, ruleFilter } from "../core/alerts/engine.ts";
import { groupFields, isAggregated, MAX_GROUPS_PER_RULE } from "../core/alerts/grouped.ts";
import { createNotifier } from "../core/alerts/notify.ts";
import { AlertRuleCreateSchema, CONDITIONS } from "../core/alerts/schema.ts";
import { LEVELS, type Level } from "../core/level.ts";
import type { LogFilter } from "../core/ports/log-store.ts";
import { MIGRATIONS } from "../db/migrations/index.ts";
import { createRng } from "../stream-jobs/generator/prng.ts";
import { flags, freshDatabase, loadDay, machine, percentile, table, writeJson } from "./lib.ts";

const args = flags({ events: 1_000_000, rules: 1_000, ticks: 7, keep: false, grouped: 0.2 });
const { events: N, rules: R } = args;
const T = Math.max(2, args.ticks);
const GROUPED = Math.min(1, Math.max(0, args.grouped));

console.log(
  `bench:alerts on ${machine()}; ${N.toLocaleString("en-US")} events over 24 h, ${R} rules (${Math.round(GROUPED * 100)} % grouped)\n`,
);
const db = await freshDatabase("logflow_bench_alerts");
try {
  const sql = connectPostgres(db.url, { max: 4 });
  await migrate(sql, MIGRATIONS);
  const store = new PostgresLogStore(sql);
  const {
    loaded: n,
    seconds,
    services,
    words,
  } = await loadDay(sql, store, {
    events: N,
    seed: 7,
    sampleEvery: 100,
  });
  console.log(`loaded ${n.toLocaleString("en-US")} events in ${seconds.toFixed(1)} s`);

  // Rules: 0–2 services, 0–2 levels, a window from 1 min to 24 h, a third with a one- or two-word query.
  const rng = createRng(42);
  const rand = () => rng.next();
  const pick = <T>(xs: readonly T[]) => rng.pick(xs);
  const serviceList = [...services];
  const sampled = N / 100;
  const terms = [...words.entries()]
    // Alert queries name an error signature: words in 0.05–2 % of events (a rule on a word found in a
    // tenth of all logs is a volume rule, better written with services and levels).
    .filter(([, c]) => c / sampled >= 0.0005 && c / sampled <= 0.02)
    .map(([w]) => w)
    .slice(0, 30);
  const windows = [1, 5, 5, 10, 15, 15, 30, 60, 60, 240, 1440];
  const groupings = [["service"], ["service"], ["service"], ["service", "level"], ["level"], ["status_code"]];
  const functions = ["p95", "p95", "avg", "max"] as const;
  const rules = new PostgresAlertRuleRepo(sql);
  let groupedRules = 0;
  for (let i = 0; i < R; i++) {
    const nServices = Math.floor(rand() * 3);
    const nLevels = Math.floor(rand() * 3);
    // Every 1/GROUPED-th rule is grouped (a fifth by default), spread evenly over the list.
    const grouped = GROUPED > 0 && Math.floor((i + 1) * GROUPED) > Math.floor(i * GROUPED);
    const numeric = grouped && rand() < 0.5;
    if (grouped) groupedRules++;
    await rules.create({
      ...AlertRuleCreateSchema.parse({
        name: `rule ${i}`,
        condition: pick(CONDITIONS),
        threshold: Math.floor(rand() * 500),
        time_window: pick(windows),
        levels: [...new Set(Array.from({ length: nLevels }, () => pick(LEVELS.slice(1)) as Level))],
        services: [...new Set(Array.from({ length: nServices }, () => pick(serviceList)))],
        query:
          rand() < 1 / 3 && terms.length
            ? rand() < 0.5
              ? pick(terms)
              : `${pick(terms)} ${pick(terms)}`
            : null,
        ...(grouped
          ? {
              group_by: pick(groupings),
              ...(numeric
                ? {
                    aggregation: pick(functions),
                    field: "latency_ms",
                    condition: "greater_than",
                    threshold: 500,
                  }
                : {}),
            }
          : {}),
      }),
      created_by: null,
      signing_secret: "bench",
    });
  }

  const engine = {
    store,
    rules,
    alerts: new PostgresTriggeredAlertRepo(sql),
    notify: createNotifier({ guard: { allowPrivate: false } }),
  };
  const times: number[] = [];
  let firstFired = 0;
  let firstMs = 0;
  for (let t = 0; t < T; t++) {
    const started = performance.now();
    const out = await evaluateRules(engine, Date.now());
    const ms = performance.now() - started;
    if (t === 0) {
      firstFired = out.fired;
      firstMs = ms;
    } else times.push(ms);
  }
  const active = await rules.listActive();
  const countStarted = performance.now();
  await store.countMany(active.filter((r) => !isAggregated(r)).map((r) => ruleFilter(r, Date.now())));
  const countMs = performance.now() - countStarted;
  const groupStarted = performance.now();
  const aggregated = active.filter(isAggregated);
  await store.groupMany(
    aggregated.map((r) => ({
      filter: ruleFilter(r, Date.now()) as LogFilter & { from: number; to: number },
      by: groupFields(r),
      agg: r.aggregation === "count" ? { fn: "count" } : { fn: r.aggregation, attribute: r.field ?? "" },
    })),
    MAX_GROUPS_PER_RULE,
  );
  const groupMs = performance.now() - groupStarted;
  // The alert tick's minute cache (absent before it existed): its own estimate, and the process's RSS.
  const cacheMb = "alertCacheSize" in store ? (store.alertCacheSize as () => number)() / 2 ** 20 : 0;
  const rssMb = process.memoryUsage().rss / 2 ** 20;
  console.log(`minute cache ${cacheMb.toFixed(1)} MiB (estimate); process RSS ${rssMb.toFixed(0)} MiB`);
  times.sort((a, b) => a - b);
  const evalMs = percentile(times, 50);
  console.log("");
  table([
    { tick: "first (fires)", ms: Math.round(firstMs), fired: firstFired },
    { tick: `steady p50 of ${times.length}`, ms: Math.round(evalMs), fired: 0 },
    { tick: `steady max`, ms: Math.round(times[times.length - 1]!), fired: 0 },
    { tick: "countMany alone", ms: Math.round(countMs), fired: 0 },
    { tick: `groupMany alone (${aggregated.length} rules)`, ms: Math.round(groupMs), fired: 0 },
  ]);
  writeJson(args.json, {
    rules: R,
    events: n,
    eval_ms: Math.round(evalMs),
    first_tick_ms: Math.round(firstMs),
    first_tick_fired: firstFired,
    max_ms: Math.round(times[times.length - 1]!),
    count_many_ms: Math.round(countMs),
    grouped_rules: groupedRules,
    group_many_ms: Math.round(groupMs),
    cache_mb: Math.round(cacheMb),
    rss_mb: Math.round(rssMb),
    target_eval_ms: 1000,
  });
  await sql.end();
} finally {
  if (!args.keep) await db.drop();
}
