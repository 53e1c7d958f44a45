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
    connection: { application_name: opts.applicationName ?? "logflow" },
    // Bigint ids come back as JS numbers; LogFlow's ids stay far below 2^53.
    types: { bigint: postgres.BigInt },
    transform: { undefined: null },
  });
}
