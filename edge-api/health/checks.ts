import type { Sql } from "postgres";
import type { LogQueue } from "../../core/ports/log-queue.ts";
import type { LogStore } from "../../core/ports/log-store.ts";
import type { HealthCheck } from "../context.ts";

/**
 * The checks /health runs in every runtime: the database (required), the log store (required), the
 * ingest queue, and any extra (the Upstash cache). `sql` absent means no database is configured, said
 * by `missing`.
 */
export function healthChecks(opts: {
  sql: Sql | undefined;
  label: string;
  missing?: string;
  store: LogStore;
  queue: LogQueue;
  extra?: HealthCheck[];
}): HealthCheck[] {
  const { sql, label, store, queue } = opts;
  return [
    {
      name: "database",
      required: true,
      async check() {
        if (!sql) return { status: "unhealthy", detail: opts.missing ?? "no database configured" };
        await sql`select 1`;
        return { status: "healthy", detail: label };
      },
    },
    { name: "log_store", required: true, check: () => store.health() },
    { name: "queue", required: false, check: () => queue.health() },
    ...(opts.extra ?? []),
  ];
}
