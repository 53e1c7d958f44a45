import type { LogEvent } from "../../../core/log-event.ts";
import { validateLogEvent } from "../../../core/log-event-check.ts";
import { deadLetter, type MessageStepResult, ok } from "../step.ts";

/**
 * Step 2: a JSON value to a stored event, exactly as LogEventSchema accepts it (UUID id, dates the
 * stores can place), so that the store never refuses an event for its shape. Anything else is
 * dead-lettered with the schema's reasons.
 */
export function validateEvent(raw: unknown): MessageStepResult<LogEvent> {
  const v = validateLogEvent(raw);
  return v.ok ? ok(v.event) : deadLetter(`invalid event: ${v.reason}`);
}
