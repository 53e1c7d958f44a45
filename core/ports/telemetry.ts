/**
 * What LogFlow counts about itself, by domain event rather than by metric library: the Prometheus
 * adapter (Bun) turns these into the seed's metric names; runtimes without a scrape endpoint
 * (Workers) use `noTelemetry`.
 */
export interface Telemetry {
  /** One HTTP request; `endpoint` is the route pattern (`/api/v1/logs/:id`), never the raw path. */
  httpRequest(method: string, endpoint: string, status: number, seconds: number): void;
  /** Events accepted at ingest (validated, before they are durable). */
  eventsAccepted(count: number): void;
  /** Events rejected at ingest, by reason class. */
  eventsRejected(count: number): void;
  /** Events newly stored by the log store. */
  eventsIndexed(events: readonly { service: string; level: string }[]): void;
  /** One log-store operation and how long it took. */
  storeQuery(operation: string, seconds: number, ok: boolean): void;
  authAttempt(result: "success" | "failure"): void;
  userRegistered(): void;
  alertTriggered(ruleName: string): void;
  alertsChecked(count: number): void;
  /** A response-cache lookup, by key prefix. */
  cacheLookup(prefix: string, hit: boolean): void;
  /** A request refused by a rate limit, by limit class. */
  rateLimited(endpoint: string): void;
  /** The indexer handled (stored, dead-lettered, committed) or abandoned one batch of one partition. */
  indexerBatch(batch: { partition: number; messages: number; seconds: number }): void;
  /** Events the indexer wrote to the store (replays of stored events included). */
  indexerStored(count: number): void;
  /** One message dead-lettered by the indexer; `kind` is its reason's first words ("not JSON"). */
  indexerDeadLettered(kind: string): void;
  /** A dependency outage the indexer backs off from and retries ("store write", "dead-letter publish"). */
  indexerRetried(operation: string): void;
  /** The indexer's queue consumer was replaced (after a crash, or found stale). */
  indexerConsumerRestarted(): void;
  /** The indexer's consumer group lag, as last read from the broker. */
  indexerLag(messages: number): void;
  /**
   * Syslog messages the listener gave up: `udp_backlog`, a datagram that arrived while too many
   * messages waited (UDP cannot be paused); `stop`, read over TCP or UDP but still refused by the queue
   * when the listener stopped.
   */
  syslogDropped(reason: "udp_backlog" | "stop", count: number): void;
  /** The Prometheus text exposition, or null where metrics are not collected. */
  render(): Promise<{ contentType: string; body: string } | null>;
}

export const noTelemetry: Telemetry = {
  httpRequest() {},
  eventsAccepted() {},
  eventsRejected() {},
  eventsIndexed() {},
  storeQuery() {},
  authAttempt() {},
  userRegistered() {},
  alertTriggered() {},
  alertsChecked() {},
  rateLimited() {},
  cacheLookup() {},
  indexerBatch() {},
  indexerStored() {},
  indexerDeadLettered() {},
  indexerRetried() {},
  indexerConsumerRestarted() {},
  indexerLag() {},
  syslogDropped() {},
  render: async () => null,
};
