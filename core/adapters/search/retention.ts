import { type EngineTransport, ensureOk, READ, SearchEngineError } from "./backend.ts";
import { DAY_MS, dayOfIndex } from "./mappings.ts";

/** Indices per request (URL length). */
const CHUNK = 50;

/**
 * Remove events older than the cutoff from the daily indices of `prefix`: indices whose whole day is
 * older are counted and deleted (cheap: no document is read); the older part of the cutoff's own day
 * goes through _delete_by_query. Only indices carrying the prefix's read alias are touched, never
 * another prefix's that starts the same way. Returns how many events were removed.
 */
export async function deleteOlderThan(
  transport: EngineTransport,
  prefix: string,
  cutoff: number,
): Promise<number> {
  const res = await transport<Record<string, unknown>>({
    method: "GET",
    path: `/_alias/${encodeURIComponent(prefix)}`,
  });
  if (res.status === 404) return 0;
  const whole: string[] = [];
  let partial: string | null = null;
  for (const name of Object.keys(ensureOk(res, "list indices"))) {
    const day = dayOfIndex(prefix, name);
    if (day === null) continue;
    if (day + DAY_MS <= cutoff) whole.push(name);
    else if (day < cutoff) partial = name;
  }
  let removed = 0;
  for (let i = 0; i < whole.length; i += CHUNK) {
    const list = whole
      .slice(i, i + CHUNK)
      .map(encodeURIComponent)
      .join(",");
    const counted = await transport<{ count: number }>({
      method: "POST",
      path: `/${list}/_count`,
      querystring: READ,
    });
    removed += ensureOk(counted, "count before retention").count;
    ensureOk(
      await transport({ method: "DELETE", path: `/${list}`, querystring: READ }),
      "delete old indices",
    );
  }
  if (partial) {
    const res = await transport<{ deleted?: number; failures?: unknown[] }>({
      method: "POST",
      path: `/${encodeURIComponent(partial)}/_delete_by_query`,
      querystring: { refresh: true, conflicts: "proceed", ...READ },
      body: { query: { range: { timestamp: { lt: Math.trunc(cutoff), format: "epoch_millis" } } } },
    });
    const body = ensureOk(res, "delete older part of the cutoff's day");
    if (body.failures?.length) {
      throw new SearchEngineError(res.status, "delete_by_query", JSON.stringify(body.failures[0]));
    }
    removed += body.deleted ?? 0;
  }
  return removed;
}

/** Services per _delete_by_query (terms size stays far below the engine's limits). */
const SERVICES_PER_QUERY = 1_000;

/**
 * Per-service retention: the events of `services` older than the cutoff, by _delete_by_query over the
 * prefix's read alias (every day index at once; an index holds every service, so none can be dropped
 * whole). Returns how many events were removed.
 */
export async function deleteServicesOlderThan(
  transport: EngineTransport,
  prefix: string,
  services: string[],
  cutoff: number,
): Promise<number> {
  let removed = 0;
  for (let i = 0; i < services.length; i += SERVICES_PER_QUERY) {
    const res = await transport<{ deleted?: number; failures?: unknown[] }>({
      method: "POST",
      path: `/${encodeURIComponent(prefix)}/_delete_by_query`,
      querystring: { refresh: true, conflicts: "proceed", ...READ },
      body: {
        query: {
          bool: {
            filter: [
              { terms: { service: services.slice(i, i + SERVICES_PER_QUERY) } },
              { range: { timestamp: { lt: Math.trunc(cutoff), format: "epoch_millis" } } },
            ],
          },
        },
      },
    });
    if (res.status === 404) return removed; // no index yet
    const body = ensureOk(res, "delete a service's older events");
    if (body.failures?.length) {
      throw new SearchEngineError(res.status, "delete_by_query", JSON.stringify(body.failures[0]));
    }
    removed += body.deleted ?? 0;
  }
  return removed;
}
