import { uuidv7 } from "../../core/ids.ts";
import type { LogEvent } from "../../core/log-event.ts";

/**
 * A stored-shape log event at `ts` (epoch ms) with a time-ordered id from it: INFO, "hello", no
 * optional fields, received when it happened. `fields` overrides any of it.
 */
export function logEvent(ts: number, fields: Partial<LogEvent> = {}): LogEvent {
  return {
    id: uuidv7(ts),
    timestamp: new Date(ts).toISOString(),
    received_at: new Date(ts).toISOString(),
    service: "test",
    level: "INFO",
    message: "hello",
    host: null,
    correlation_id: null,
    request_id: null,
    trace_id: null,
    span_id: null,
    attributes: {},
    ...fields,
  };
}
