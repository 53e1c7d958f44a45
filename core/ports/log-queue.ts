import type { LogEvent } from "../log-event.ts";

/** Raised when the queue cannot take more right now; the API answers 503 with Retry-After. */
export class QueueFullError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super("ingest queue is full");
    this.name = "QueueFullError";
  }
}

/**
 * The ingest path's buffer between the API and the store. `publish` resolves only once the events
 * are durable (store commit in-process, broker ack for Kafka); it rejects with QueueFullError under
 * backpressure, and with the store's error if they could not be made durable.
 */
export interface LogQueue {
  publish(events: LogEvent[]): Promise<void>;
  /** Events accepted but not yet durable. */
  lag(): number;
  health(): Promise<{ status: "healthy" | "degraded" | "unhealthy"; detail: string }>;
  close(): Promise<void>;
}
