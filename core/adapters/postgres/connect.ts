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
    },
    // bigint columns come back as JS bigint; callers wrap counts in Number().
    types: { bigint: postgres.BigInt },
    transform: { undefined: null },
  });
}
