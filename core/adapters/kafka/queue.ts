import { CompressionTypes, type Message, Partitioners, type Producer } from "kafkajs";
import type { LogEvent } from "../../log-event.ts";
import type { LogLine } from "../../logger.ts";
import { type LogQueue, QueueFullError } from "../../ports/log-queue.ts";
import { ensureTopics, kafkaClient } from "./client.ts";

export interface KafkaQueueOptions {
  brokers: string[];
  clientId: string;
  /** The topic events are published to; its dead-letter topic is `<topic>.dlq`. */
  topic: string;
  /** Partitions of the topic when LogFlow creates it (an existing topic keeps its own). */
  partitions?: number;
  /** Most events accepted but not yet acked; past it publish() fails fast with QueueFullError (→ 503). */
  maxPending: number;
  /** Most events in one produce request (several concurrent publishes are gathered into one). */
  batchSize?: number;
  /** How long the first publish of an idle producer waits for company, ms. */
  lingerMs?: number;
  /**
   * How long a publish waits for the broker's ack before it gives up with QueueFullError (→ 503 +
   * Retry-After), ms. Its events may still land later (the client's retry then stores them twice
   * under new ids): at-least-once, as any producer timeout.
   */
  ackTimeoutMs?: number;
  log?: LogLine;
}

interface Pending {
  messages: Message[];
  settled: boolean;
  resolve: () => void;
  reject: (err: unknown) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** The dead-letter topic of a topic. */
export const dlqTopic = (topic: string) => `${topic}.dlq`;

/**
 * The cluster profile's ingest queue: events published to Kafka, keyed by service (so one service's
 * events stay in one partition, in order), by an idempotent producer with acks=all and gzip. Concurrent
 * publishes are gathered into one produce request; one request is in flight at a time, which is what
 * keeps the idempotent producer's per-partition sequence in order. publish() resolves only on the ack.
 */
export class KafkaLogQueue implements LogQueue {
  private queue: Pending[] = [];
  private queuedEvents = 0;
  private inFlightEvents = 0;
  private sending = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private lastError: { at: number; message: string } | null = null;
  private producer: Producer | null = null;

  private constructor(private readonly opts: Required<Omit<KafkaQueueOptions, "log">> & { log?: LogLine }) {}

  /** Create the topics when missing and connect the producer; throws when no broker answers. */
  static async connect(options: KafkaQueueOptions): Promise<KafkaLogQueue> {
    const q = new KafkaLogQueue({
      partitions: 6,
      batchSize: 10_000,
      lingerMs: 2,
      ackTimeoutMs: 15_000,
      ...options,
    });
    const admin = kafkaClient(q.opts).admin();
    await admin.connect();
    try {
      const created = await ensureTopics(admin, [
        { topic: q.opts.topic, partitions: q.opts.partitions },
        { topic: dlqTopic(q.opts.topic), partitions: 1 },
      ]);
      if (created.length) q.opts.log?.({ level: "INFO", msg: "kafka topics created", topics: created });
    } finally {
      await admin.disconnect();
    }
    await q.ensureProducer();
    return q;
  }

  private async ensureProducer(): Promise<Producer> {
    if (this.producer) return this.producer;
    const producer = kafkaClient(this.opts).producer({
      idempotent: true,
      // The Java client's partitioner (murmur2 of the key), so every client puts a service in the same partition.
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    });
    await producer.connect();
    this.producer = producer;
    return producer;
  }

  publish(events: LogEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    if (this.closed) return Promise.reject(new QueueFullError(5));
    if (this.queuedEvents + this.inFlightEvents + events.length > this.opts.maxPending) {
      return Promise.reject(new QueueFullError(1));
    }
    const messages = events.map((e) => ({ key: e.service, value: JSON.stringify(e) }));
    return new Promise<void>((resolve, reject) => {
      const p: Pending = {
        messages,
        settled: false,
        resolve,
        reject,
        timer: setTimeout(() => {
          if (p.settled) return;
          p.settled = true;
          const retryAfter = Math.max(1, Math.ceil(this.opts.ackTimeoutMs / 3000));
          const err = new QueueFullError(retryAfter);
          err.message = `no ack from Kafka within ${this.opts.ackTimeoutMs} ms`;
          reject(err);
        }, this.opts.ackTimeoutMs),
      };
      this.queue.push(p);
      this.queuedEvents += messages.length;
      this.schedule();
    });
  }

  lag(): number {
    return this.queuedEvents + this.inFlightEvents;
  }

  async health() {
    if (this.lastError && Date.now() - this.lastError.at < 60_000) {
      return { status: "degraded" as const, detail: `last publish failed: ${this.lastError.message}` };
    }
    const full = this.lag() / this.opts.maxPending;
    return {
      status: full > 0.9 ? ("degraded" as const) : ("healthy" as const),
      detail: `kafka ${this.opts.topic}: ${this.lag()} awaiting ack`,
    };
  }

  /**
   * Stop accepting, wait for the acks of everything accepted, disconnect. Waits at most ackTimeoutMs:
   * with no broker, the idempotent producer would retry forever and a shutdown would never end.
   */
  async close(): Promise<void> {
    this.closed = true;
    const deadline = Date.now() + this.opts.ackTimeoutMs;
    while (this.lag() > 0 && Date.now() < deadline) {
      this.schedule(true);
      await new Promise((r) => setTimeout(r, 5));
    }
    await this.producer?.disconnect().catch(() => {});
    this.producer = null;
  }

  private schedule(now = false): void {
    if (this.queue.length === 0 || this.sending) return;
    if (this.timer) {
      if (!now && this.queuedEvents < this.opts.batchSize) return;
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (!now && this.opts.lingerMs > 0 && this.queuedEvents < this.opts.batchSize) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.flush();
      }, this.opts.lingerMs);
      return;
    }
    void this.flush();
  }

  private async flush(): Promise<void> {
    if (this.queue.length === 0 || this.sending) return;
    this.sending = true;
    const batch: Pending[] = [];
    let n = 0;
    while (
      this.queue.length > 0 &&
      (n === 0 || n + (this.queue[0]?.messages.length ?? 0) <= this.opts.batchSize)
    ) {
      const p = this.queue.shift()!;
      batch.push(p);
      n += p.messages.length;
    }
    this.queuedEvents -= n;
    this.inFlightEvents += n;
    // Publishes that timed out while queued are not sent: their clients were told 503 already.
    const live = batch.filter((p) => !p.settled);
    try {
      if (live.length) {
        const producer = await this.ensureProducer();
        await producer.send({
          topic: this.opts.topic,
          acks: -1,
          compression: CompressionTypes.GZIP,
          messages: live.length === 1 ? live[0]!.messages : live.flatMap((p) => p.messages),
        });
      }
      for (const p of live) settle(p, null);
    } catch (err) {
      this.lastError = { at: Date.now(), message: err instanceof Error ? err.message : String(err) };
      this.opts.log?.({ level: "ERROR", msg: "kafka publish failed", error: this.lastError.message });
      for (const p of live) settle(p, err);
      // A fresh producer (new producer id, sequences from zero) rather than one whose idempotence
      // state may be out of step with the broker after the failure.
      const old = this.producer;
      this.producer = null;
      await old?.disconnect().catch(() => {});
    } finally {
      this.inFlightEvents -= n;
      this.sending = false;
      this.schedule(true);
    }
  }
}

function settle(p: Pending, err: unknown): void {
  clearTimeout(p.timer);
  if (p.settled) return;
  p.settled = true;
  if (err) p.reject(err);
  else p.resolve();
}
