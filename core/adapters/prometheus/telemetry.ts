import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Telemetry } from "../../ports/telemetry.ts";
import { HttpMetrics } from "./http-metrics.ts";

export interface PrometheusOptions {
  /** Live connections to the database, read at scrape time. */
  databaseConnections?: () => Promise<number>;
  /**
   * Most distinct values kept for a label fed by clients (service names, rule names); further values
   * are counted under "_other". Without a cap, a client inventing service names grows memory forever.
   */
  maxLabelValues?: number;
}

/** A label whose values come from outside, held to a fixed number of distinct values. */
function cappedLabel(max: number): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    if (seen.has(value)) return value;
    if (seen.size >= max) return "_other";
    seen.add(value);
    return value;
  };
}

/**
 * Telemetry as Prometheus metrics with the seed's names and labels, in a registry of its own (no
 * process-global state, so several apps in one process, as in tests, do not collide).
 */
export function prometheusTelemetry(opts: PrometheusOptions = {}): Telemetry & { registry: Registry } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const cap = opts.maxLabelValues ?? 200;
  const service = cappedLabel(cap);
  const rule = cappedLabel(cap);

  // The two metrics every request feeds are counted outside prom-client (see http-metrics.ts).
  const http = new HttpMetrics();
  const processed = new Counter({
    name: "logs_processed_total",
    help: "Log events accepted at ingest",
    registers: [registry],
  });
  const rejected = new Counter({
    name: "logs_rejected_total",
    help: "Log events rejected at ingest (invalid)",
    registers: [registry],
  });
  const indexed = new Counter({
    name: "logs_indexed_total",
    help: "Log events stored, by service and level",
    labelNames: ["service", "level"],
    registers: [registry],
  });
  const syslogDropped = new Counter({
    name: "syslog_messages_dropped_total",
    help: "Syslog messages given up by the listener, by reason (udp_backlog: UDP while the backlog was full; stop)",
    labelNames: ["reason"],
    registers: [registry],
  });
  const storeQueries = new Counter({
    name: "store_queries_total",
    help: "Log store operations by operation and outcome",
    labelNames: ["operation", "outcome"],
    registers: [registry],
  });
  const storeDuration = new Histogram({
    name: "store_query_duration_seconds",
    help: "Log store operation latency",
    labelNames: ["operation"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const auth = new Counter({
    name: "auth_attempts_total",
    help: "Login attempts by result",
    labelNames: ["result"],
    registers: [registry],
  });
  const registered = new Counter({
    name: "users_registered_total",
    help: "Accounts registered",
    registers: [registry],
  });
  const alertsTriggered = new Counter({
    name: "alerts_triggered_total",
    help: "Alerts fired, by rule name",
    labelNames: ["rule_name"],
    registers: [registry],
  });
  const alertsChecked = new Counter({
    name: "alerts_checked_total",
    help: "Alert rule evaluations",
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: "rate_limit_exceeded_total",
    help: "Requests refused by a rate limit, by limit class",
    labelNames: ["endpoint"],
    registers: [registry],
  });
  // A cache lookup happens on every cached request: counted in a plain map, handed to prom-client when
  // Prometheus scrapes (collect), so no label object is hashed per request.
  const cacheLookups = { hit: new Map<string, number>(), miss: new Map<string, number>() };
  for (const [name, help, counts] of [
    ["cache_hits_total", "Response-cache hits by key prefix", cacheLookups.hit],
    ["cache_misses_total", "Response-cache misses by key prefix", cacheLookups.miss],
  ] as const) {
    new Counter({
      name,
      help,
      labelNames: ["cache_key_prefix"],
      registers: [registry],
      collect() {
        for (const [prefix, n] of counts) this.inc({ cache_key_prefix: prefix }, n);
        counts.clear();
      },
    });
  }
  if (opts.databaseConnections) {
    const read = opts.databaseConnections;
    new Gauge({
      name: "database_connections",
      help: "Connections to the metadata/log database",
      registers: [registry],
      async collect() {
        this.set(await read().catch(() => Number.NaN));
      },
    });
  }

  const indexer = lazyIndexerMetrics(registry);

  return {
    registry,
    httpRequest: (method, endpoint, status, seconds) => http.record(method, endpoint, status, seconds),
    eventsAccepted: (n) => processed.inc(n),
    eventsRejected: (n) => rejected.inc(n),
    eventsIndexed(events) {
      // Counted per service, then per level: no key string built per event (a write is thousands).
      const counts = new Map<string, Map<string, number>>();
      for (const e of events) {
        let levels = counts.get(e.service);
        if (!levels) {
          levels = new Map();
          counts.set(e.service, levels);
        }
        levels.set(e.level, (levels.get(e.level) ?? 0) + 1);
      }
      for (const [name, levels] of counts) {
        const s = service(name);
        for (const [level, n] of levels) indexed.inc({ service: s, level }, n);
      }
    },
    storeQuery(operation, seconds, ok) {
      storeQueries.inc({ operation, outcome: ok ? "ok" : "error" });
      storeDuration.observe({ operation }, seconds);
    },
    authAttempt: (result) => auth.inc({ result }),
    userRegistered: () => registered.inc(),
    alertTriggered: (name) => alertsTriggered.inc({ rule_name: rule(name) }),
    alertsChecked: (n) => alertsChecked.inc(n),
    rateLimited: (endpoint) => rateLimited.inc({ endpoint }),
    cacheLookup(prefix, hit) {
      const counts = hit ? cacheLookups.hit : cacheLookups.miss;
      counts.set(prefix, (counts.get(prefix) ?? 0) + 1);
    },
    indexerBatch({ messages, seconds }) {
      indexer().batchSize.observe(messages);
      indexer().batchDuration.observe(seconds);
    },
    indexerStored: (n) => indexer().stored.inc(n),
    indexerDeadLettered: (reason) => indexer().deadLettered.inc({ reason }),
    indexerRetried: (operation) => indexer().retries.inc({ operation }),
    indexerConsumerRestarted: () => indexer().restarts.inc(),
    indexerLag: (n) => indexer().lag.set(n),
    syslogDropped: (reason, n) => syslogDropped.inc({ reason }, n),
    async render() {
      return { contentType: registry.contentType, body: (await registry.metrics()) + http.render() };
    },
  };
}

/**
 * The indexer's metrics, registered on first use: only a process that runs the indexer exports them,
 * so the API's /metrics does not list an indexer it does not have.
 */
function lazyIndexerMetrics(registry: Registry) {
  let metrics: ReturnType<typeof create> | undefined;
  const create = () => {
    const registers = [registry];
    return {
      lag: new Gauge({
        name: "indexer_consumer_lag_messages",
        help: "Messages in the log topic not yet committed by the indexer's group",
        registers,
      }),
      batchSize: new Histogram({
        name: "indexer_batch_size_messages",
        help: "Messages per handled batch (one partition)",
        buckets: [1, 10, 100, 500, 1_000, 2_500, 5_000, 10_000],
        registers,
      }),
      batchDuration: new Histogram({
        name: "indexer_batch_duration_seconds",
        help: "Time to decode, store, dead-letter and commit one batch",
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers,
      }),
      stored: new Counter({
        name: "indexer_events_indexed_total",
        help: "Events written to the log store by the indexer",
        registers,
      }),
      deadLettered: new Counter({
        name: "indexer_events_dead_lettered_total",
        help: "Messages sent to the dead-letter topic, by reason",
        labelNames: ["reason"],
        registers,
      }),
      retries: new Counter({
        name: "indexer_retries_total",
        help: "Failed store writes or dead-letter publishes, retried with backoff",
        labelNames: ["operation"],
        registers,
      }),
      restarts: new Counter({
        name: "indexer_consumer_restarts_total",
        help: "Kafka consumers replaced after a crash or when found stale",
        registers,
      }),
    };
  };
  return () => {
    metrics ??= create();
    return metrics;
  };
}
