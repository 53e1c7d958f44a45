import type { LogQueue } from "../../core/ports/log-queue.ts";
import type { LogStore } from "../../core/ports/log-store.ts";
import type { HealthCheck } from "../context.ts";

/**
 * The checks /health runs in every runtime: the database (required), the log store (required), the
 * ingest queue, and any extra (the Upstash cache). `ping` asks the database for a trivial answer; absent
 * means no database is configured, said by `missing`.
 */
export function healthChecks(opts: {
  ping: (() => Promise<unknown>) | undefined;
  label: string;
  missing?: string;
  store: LogStore;
  /** Absent in roles that publish nothing (the indexer). */
  queue?: LogQueue;
  extra?: HealthCheck[];
}): HealthCheck[] {
  const { ping, label, store, queue } = opts;
  return [
    {
      name: "database",
      required: true,
      async check() {
        if (!ping) return { status: "unhealthy", detail: opts.missing ?? "no database configured" };
        await ping();
        return { status: "healthy", detail: label };
      },
    },
    { name: "log_store", required: true, check: () => store.health() },
    ...(queue ? [{ name: "queue", required: false, check: () => queue.health() }] : []),
    ...(opts.extra ?? []),
  ];
}
