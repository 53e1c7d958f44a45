import { CompressionTypes, type ISocketFactory, type Message, Partitioners, type Producer } from "kafkajs";
import type { LogEvent } from "../../log-event.ts";
import type { LogLine } from "../../logger.ts";
import { type LogQueue, QueueUnavailableError } from "../../ports/log-queue.ts";
import { GroupCommit } from "../group-commit.ts";
import { ensureTopics, isKafkaOutage, kafkaClient, pingKafka } from "./client.ts";

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
   * How long a publish waits for the broker's ack before it gives up with QueueUnavailableError (→ 503
   * "queue unavailable" + Retry-After), ms; default 4,000, so that a client hears within 5 s that
   * Kafka is away. Its events may still land later (the client's retry then stores them twice under
   * new ids): at-least-once, as any producer timeout.
   */
  ackTimeoutMs?: number;
  /** How connections to the brokers are opened (tests cut the network here). */
  socketFactory?: ISocketFactory;
  log?: LogLine;
}

/**
 * How long "Kafka is away" (a publish that got no ack, a failed send, a failed probe) stands: publishes
 * in that time are refused at once instead of each waiting ackTimeoutMs; the first after it tries again.
 */
const AWAY_FOR_MS = 2_000;

/** How long a reachability probe's answer stands for health(), ms. */
const PROBE_REUSE_MS = 2_000;

/** The dead-letter topic of a topic. */
export const dlqTopic = (topic: string) => `${topic}.dlq`;

/**
 * The cluster profile's ingest queue: events published to Kafka, keyed by service (so one service's
 * events stay in one partition, in order), by an idempotent producer with acks=all and gzip. Concurrent
 * publishes are gathered into one produce request; one request is in flight at a time, which is what
 * keeps the idempotent producer's per-partition sequence in order. publish() resolves only on the ack.
 */
export class KafkaLogQueue implements LogQueue {
  private readonly sends: GroupCommit<Message>;
  private producer: Producer | null = null;

  /** Since when, and why, Kafka is known to be away (null: not known to be). */
  private away: { at: number; reason: string } | null = null;
  /** The last reachability probe (health()), reused for PROBE_REUSE_MS. */
  private probe: { at: number; result: ReturnType<typeof pingKafka> } | null = null;

  private constructor(
    private readonly opts: Required<Omit<KafkaQueueOptions, "log" | "socketFactory">> &
      Pick<KafkaQueueOptions, "log" | "socketFactory">,
  ) {
    const { maxPending, batchSize, lingerMs, ackTimeoutMs } = opts;
    this.sends = new GroupCommit<Message>(
      {
        maxPending,
        batchSize,
        lingerMs,
        concurrency: 1,
        timeout: {
          ms: ackTimeoutMs,
          error: () => this.unavailable(`no ack from Kafka within ${ackTimeoutMs / 1000} s`),
        },
      },
      (messages) => this.send(messages),
      (err) => this.replaceProducer(err),
    );
  }

  /** Create the topics when missing and connect the producer; throws when no broker answers. */
  static async connect(options: KafkaQueueOptions): Promise<KafkaLogQueue> {
    const q = new KafkaLogQueue({
      partitions: 6,
      batchSize: 10_000,
      lingerMs: 2,
      ackTimeoutMs: 4_000,
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
    // Kafka just went away: refused at once, nothing queued (so nothing answered 503 is sent later).
    if (events.length > 0 && this.away && Date.now() - this.away.at < AWAY_FOR_MS) {
      return Promise.reject(new QueueUnavailableError(this.away.reason, 5));
    }
    // Refused before any JSON is made: an overloaded collector does not serialise what it turns away.
    const refused = events.length > 0 && this.sends.refusal(events.length);
    if (refused) return Promise.reject(refused);
    return this.sends.submit(events.map((e) => ({ key: e.service, value: JSON.stringify(e) })));
  }

  lag(): number {
    return this.sends.pending();
  }

  /**
   * Unhealthy while no broker answers (asked at most every 2 s, within 1.5 s: /health allows a check
   * 2 s), so that /health says so within seconds even with no ingest going on; degraded for a minute
   * after a failed publish; else the backlog.
   */
  async health() {
    const now = Date.now();
    if (!this.probe || now - this.probe.at > PROBE_REUSE_MS) {
      this.probe = { at: now, result: pingKafka(this.opts.brokers, 1_500, this.opts.socketFactory) };
    }
    const ping = await this.probe.result;
    if (ping.ok) this.away = null;
    else this.unavailable(`no Kafka broker answers (${ping.error})`);
    if (!ping.ok) {
      return {
        status: "unhealthy" as const,
        detail: `queue unavailable: no Kafka broker answers at ${this.opts.brokers.join(",")} (${ping.error})`,
      };
    }
    return this.sends.health("publish", (n) => `kafka ${this.opts.topic}: ${n} awaiting ack`);
  }

  /**
   * Stop accepting, wait for the acks of everything accepted, disconnect. Waits at most ackTimeoutMs:
   * with no broker, the idempotent producer would retry forever and a shutdown would never end.
   */
  async close(): Promise<void> {
    await this.sends.close(Date.now() + this.opts.ackTimeoutMs);
    await this.producer?.disconnect().catch(() => {});
    this.producer = null;
  }

  /** One produce request at a time (concurrency 1): the idempotent producer's sequences stay in order. */
  private async send(messages: Message[]): Promise<void> {
    try {
      const producer = await this.ensureProducer();
      await producer.send({ topic: this.opts.topic, acks: -1, compression: CompressionTypes.GZIP, messages });
      this.away = null;
    } catch (err) {
      // Kafka away (the publishes still waiting hear it as "queue unavailable"); anything else as it is.
      if (isKafkaOutage(err))
        throw this.unavailable(`Kafka: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }

  /** Note that Kafka is away (for AWAY_FOR_MS), and the error publishes answer with meanwhile. */
  private unavailable(reason: string): QueueUnavailableError {
    this.away = { at: Date.now(), reason };
    return new QueueUnavailableError(reason, 5);
  }

  /**
   * After a failed send, a fresh producer (new producer id, sequences from zero) rather than one whose
   * idempotence state may be out of step with the broker.
   */
  private async replaceProducer(err: unknown): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    this.opts.log?.({ level: "ERROR", msg: "kafka publish failed", error: message });
    const old = this.producer;
    this.producer = null;
    await old?.disconnect().catch(() => {});
  }
}
