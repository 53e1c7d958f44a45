import postgres, { type Sql } from "postgres";

export interface PostgresOptions {
  /** Pool size. */
  max?: number;
  /** Application name shown in pg_stat_activity. */
  applicationName?: string;
}

/** A postgres.js pool for a Postgres server. The only SQL client LogFlow uses, for PGlite too. */
export function connectPostgres(url: string, opts: PostgresOptions = {}): Sql {
  return postgres(url, {
    max: opts.max ?? 10,
    onnotice: () => {},
    connection: {
      application_name: opts.applicationName ?? "logflow",
      // postgres.js prepares every statement. After five runs Postgres may switch a prepared statement
      // to a generic plan, which knows neither the search text (so websearch_to_tsquery($n) is
      // re-evaluated for every row: 2 ms became 19 ms for a pasted log line) nor the time range (so no
      // partition pruning at plan time). Log searches are worth planning each time.
      plan_cache_mode: "force_custom_plan",
      // JIT compiles a query when its estimated cost is high. Our grouped counts read a JSON recordset
      // the planner guesses at 100 rows and join laterally, so estimates run to millions while the work
      // takes milliseconds: JIT then spent 576 ms compiling a 60 ms alert count. Nothing here is a
      // long analytic scan that would repay it.
      jit: "off",
    },
    // bigint columns come back as JS bigint; callers wrap counts in Number().
    types: { bigint: postgres.BigInt },
    transform: { undefined: null },
  });
}
