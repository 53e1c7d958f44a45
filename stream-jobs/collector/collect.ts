import { AppError } from "../../core/errors.ts";
import { eventLoopSlicer } from "../../core/event-loop.ts";
import { type LogEvent, parseLogEvent } from "../../core/log-event.ts";
import type { IngestItemError } from "../../core/logs/schema.ts";
import type { Collect } from "../../core/ports/collector.ts";
import { QueueFullError, QueueUnavailableError } from "../../core/ports/log-queue.ts";

/** At most this many per-item errors are reported back; counts stay exact. */
const MAX_REPORTED_ERRORS = 100;

/**
 * The collector: every item through parseLogEvent (validate and normalise; a bad one is rejected with
 * its reason and never takes the others down), then the valid events published in one call. Every
 * way in uses it: the HTTP ingest routes and the demo traffic of `bun run dev`.
 */
export const collect: Collect = async (items, deps, at) => {
  const events: LogEvent[] = [];
  const errors: IngestItemError[] = [];
  let rejected = 0;
  // A big batch takes a while to validate: other requests get their turns meanwhile.
  const breathe = eventLoopSlicer();
  for (let index = 0; index < items.length; index++) {
    const item = items[index]!;
    const result = !item.ok
      ? item
      : "event" in item
        ? { ok: true as const, event: item.event }
        : parseLogEvent(item.value, at.now, deps.limits);
    if (result.ok) events.push(result.event);
    else {
      rejected++;
      if (errors.length < MAX_REPORTED_ERRORS) errors.push({ index, error: result.error });
    }
    await breathe();
  }
  deps.telemetry?.eventsRejected(rejected);
  try {
    await deps.queue.publish(events);
  } catch (err) {
    if (err instanceof QueueFullError) {
      throw new AppError("UNAVAILABLE", "Ingest queue is full; retry after the delay in Retry-After", {
        headers: { "Retry-After": String(err.retryAfterSeconds) },
      });
    }
    if (err instanceof QueueUnavailableError) {
      deps.log?.({ level: "ERROR", msg: "ingest refused", reason: err.reason, request_id: at.requestId });
      throw new AppError(
        "UNAVAILABLE",
        `Ingest queue unavailable (${err.reason}); the events were not acknowledged: retry after the delay in Retry-After`,
        { headers: { "Retry-After": String(err.retryAfterSeconds) } },
      );
    }
    deps.log?.({ level: "ERROR", msg: "ingest write failed", error: String(err), request_id: at.requestId });
    throw new AppError(
      "UNAVAILABLE",
      "The log store did not commit the events; none were stored. Retry later",
      {
        headers: { "Retry-After": "5" },
      },
    );
  }
  deps.telemetry?.eventsAccepted(events.length);
  return { accepted: events.length, rejected, errors };
};
