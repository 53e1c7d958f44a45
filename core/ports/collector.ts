import type { EventLimits, LogEvent } from "../log-event.ts";
import type { LogLine } from "../logger.ts";
import type { IngestResult } from "../logs/schema.ts";
import type { LogQueue } from "./log-queue.ts";
import type { Telemetry } from "./telemetry.ts";

/**
 * One item of an ingest request: a JSON value (native ingest, judged by the collector), an event a
 * shipper protocol's decoder already read and judged (core/ingest: bulk, OTLP, Loki, syslog, plain
 * lines), or why it could not be read.
 */
export type IngestItem =
  | { ok: true; value: unknown }
  | { ok: true; event: LogEvent }
  | { ok: false; error: string };

/** What the collector publishes with. */
export interface CollectorDeps {
  queue: LogQueue;
  limits: EventLimits;
  telemetry?: Telemetry;
  log?: LogLine;
}

/**
 * The collector (stream-jobs/collector): validates and normalises what a shipper sent, each event on
 * its own, and publishes the valid ones; resolves once they are durable (queue ack or store commit).
 * Rejects with AppError UNAVAILABLE (with Retry-After) when the queue is full or could not make them
 * durable: nothing of the request is acknowledged then. Handed to the API through its dependencies,
 * since the API does not import the stream jobs.
 */
export type Collect = (
  items: readonly IngestItem[],
  deps: CollectorDeps,
  at: { now: number; requestId?: string },
) => Promise<IngestResult>;
