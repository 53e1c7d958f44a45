import type { Admin, Consumer, EachBatchPayload, Kafka, Producer } from "kafkajs";
import { CompressionTypes, Partitioners } from "kafkajs";
import type { LogLine } from "../../logger.ts";
import type {
  BatchHandler,
  Consumption,
  DeadLetter,
  LogQueueConsumer,
  QueueConsumerStatus,
} from "../../ports/log-queue.ts";
import { noTelemetry, type Telemetry } from "../../ports/telemetry.ts";
import { groupLag, kafkaClient } from "./client.ts";
import { dlqTopic } from "./queue.ts";

export interface KafkaConsumerOptions {
  brokers: string[];
  clientId: string;
  topic: string;
  groupId: string;
  log?: LogLine;
  /** Consumer restarts and lag readings go here. */
  telemetry?: Telemetry;
  /** Most messages handed to the handler at once: a fetched batch is handled and committed in slices. */
  maxBatchMessages?: number;
  /** Partitions handled at once by this process (each with its own handler call in flight). */
  partitionsConsumedConcurrently?: number;
  /**
   * A consumer that has not fetched for this long while no batch is in hand is stale (kafkajs can stay
   * connected yet idle after a broker restart): it is replaced by a new one, ms.
   */
  staleAfterMs?: number;
  sessionTimeoutMs?: number;
  /** How often the consumer lag is read from the broker, ms. */
  lagIntervalMs?: number;
}

type Resolved = Required<Omit<KafkaConsumerOptions, "log">> & Pick<KafkaConsumerOptions, "log">;

const DLQ_MAX_VALUE_BYTES = 512 * 1024;

/** A handler's own error, carried out of kafkajs's eachBatch so that kafkajs does not retry it. */
class HandlerFault {
  constructor(readonly error: unknown) {}
}

/**
 * The log topic's consume side on Kafka (LogQueueConsumer): kafkajs batches, sliced, handed to the
 * handler, and committed after it; dead letters to `<topic>.dlq` with the reason in the
 * `logflow-dlq-reason` header. A crashed or stale kafkajs consumer is replaced by a new one; a handler
 * that throws stops everything and rejects `done`.
 */
export function kafkaLogConsumer(options: KafkaConsumerOptions): LogQueueConsumer {
  return {
    async consume(handler) {
      const c = new KafkaConsumption(
        {
          telemetry: noTelemetry,
          maxBatchMessages: 5_000,
          partitionsConsumedConcurrently: 3,
          staleAfterMs: 60_000,
          sessionTimeoutMs: 15_000,
          lagIntervalMs: 5_000,
          ...options,
        },
        handler,
      );
      await c.start();
      return c;
    },
  };
}

class KafkaConsumption implements Consumption {
  readonly done: Promise<void>;
  private settle!: (err?: unknown) => void;
  private readonly kafka: Kafka;
  private consumer: Consumer | null = null;
  private dlq: Producer | null = null;
  private admin: Admin | null = null;
  private stopping: Promise<void> | null = null;
  private fault: HandlerFault | null = null;
  private restarting: Promise<void> | null = null;
  private busy = 0;
  private lastFetchAt = Date.now();
  private lag: number | null = null;
  private lagError: string | null = null;
  private restarts = 0;
  private timers: ReturnType<typeof setInterval>[] = [];

  constructor(
    private readonly o: Resolved,
    private readonly handler: BatchHandler,
  ) {
    this.kafka = kafkaClient(o);
    this.done = new Promise<void>((resolve, reject) => {
      this.settle = (err) => (err === undefined ? resolve() : reject(err));
    });
    // Nobody may be listening yet; the rejection is still there for whoever awaits `done`.
    this.done.catch(() => {});
  }

  async start(): Promise<void> {
    try {
      this.dlq = this.kafka.producer({
        idempotent: true,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await this.dlq.connect();
      this.admin = this.kafka.admin();
      await this.admin.connect();
      this.consumer = await this.createConsumer();
    } catch (err) {
      await this.dlq?.disconnect().catch(() => {});
      await this.admin?.disconnect().catch(() => {});
      throw err;
    }
    this.timers.push(setInterval(() => void this.watch(), Math.min(5_000, this.o.staleAfterMs / 3)));
    this.timers.push(setInterval(() => void this.readLag(), this.o.lagIntervalMs));
    void this.readLag();
  }

  status(): QueueConsumerStatus {
    const base = { lag: this.lag, restarts: this.restarts };
    if (this.fault) return { ...base, status: "unhealthy", detail: `stopped: ${String(this.fault.error)}` };
    if (this.restarting) return { ...base, status: "degraded", detail: "consumer restarting" };
    if (this.lagError) return { ...base, status: "degraded", detail: `lag unknown: ${this.lagError}` };
    return { ...base, status: "healthy", detail: `lag ${this.lag ?? "?"}` };
  }

  async readLag(): Promise<number | null> {
    if (!this.admin) return this.lag;
    try {
      this.lag = await groupLag(this.admin, this.o.groupId, this.o.topic);
      this.lagError = null;
      this.o.telemetry.indexerLag(this.lag);
    } catch (err) {
      this.lagError = err instanceof Error ? err.message : String(err);
    }
    return this.lag;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const t of this.timers) clearInterval(t);
      await this.restarting;
      await this.consumer?.disconnect().catch(() => {});
      await this.dlq?.disconnect().catch(() => {});
      await this.admin?.disconnect().catch(() => {});
      this.settle(this.fault ? this.fault.error : undefined);
    })();
    return this.stopping;
  }

  private async createConsumer(): Promise<Consumer> {
    const consumer = this.kafka.consumer({
      groupId: this.o.groupId,
      sessionTimeout: this.o.sessionTimeoutMs,
      heartbeatInterval: 3_000,
      maxWaitTimeInMs: 1_000,
      maxBytesPerPartition: 4 * 1024 * 1024,
      allowAutoTopicCreation: false,
    });
    consumer.on(consumer.events.FETCH_START, () => {
      this.lastFetchAt = Date.now();
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      // kafkajs restarts by itself after a retriable error; anything else would leave it dead.
      if (!payload.restart) void this.restart(`crashed: ${payload.error.message}`);
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [this.o.topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.o.partitionsConsumedConcurrently,
        eachBatch: async (payload) => {
          try {
            await this.handleBatch(consumer, payload);
          } catch (err) {
            if (!(err instanceof HandlerFault)) throw err; // kafkajs's own (a commit during a rebalance)
            this.fault ??= err;
            this.o.log?.({
              level: "CRITICAL",
              msg: "indexer: unexpected error; stopping the consumer (nothing of the batch is committed)",
              error: err.error instanceof Error ? (err.error.stack ?? err.error.message) : String(err.error),
            });
            void this.stop();
          }
        },
      });
    } catch (err) {
      await consumer.disconnect().catch(() => {});
      throw err;
    }
    this.lastFetchAt = Date.now();
    return consumer;
  }

  /** Replace the consumer by a new one (retrying until a broker answers, or until stop()). */
  private restart(why: string): Promise<void> {
    if (this.stopping) return Promise.resolve();
    this.restarting ??= (async () => {
      this.restarts++;
      this.o.telemetry.indexerConsumerRestarted();
      this.o.log?.({ level: "WARNING", msg: "indexer: replacing the Kafka consumer", reason: why });
      const old = this.consumer;
      this.consumer = null;
      await Promise.race([old?.disconnect().catch(() => {}), sleep(15_000)]);
      let delay = 500;
      while (!this.stopping) {
        try {
          this.consumer = await this.createConsumer();
          this.o.log?.({ level: "INFO", msg: "indexer: Kafka consumer restarted" });
          break;
        } catch (err) {
          this.o.log?.({ level: "WARNING", msg: "indexer: consumer restart failed", error: String(err) });
          await sleep(delay);
          delay = Math.min(delay * 2, 10_000);
        }
      }
    })().finally(() => {
      this.restarting = null;
    });
    return this.restarting;
  }

  private async watch(): Promise<void> {
    if (this.stopping || this.restarting || this.busy > 0) return;
    const idle = Date.now() - this.lastFetchAt;
    if (idle > this.o.staleAfterMs) await this.restart(`no fetch for ${Math.round(idle / 1000)} s`);
  }

  private async handleBatch(consumer: Consumer, p: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = p;
    this.busy++;
    try {
      // Stopping: finish the batch while the handler takes it. Stale: the partition is someone else's.
      const active = () => isRunning() && !isStale() && !this.fault;
      for (let i = 0; i < batch.messages.length; i += this.o.maxBatchMessages) {
        if (isStale() || this.fault) return;
        const messages = batch.messages.slice(i, i + this.o.maxBatchMessages);
        let handled: boolean;
        try {
          handled = await this.handler({
            partition: batch.partition,
            messages,
            active,
            heartbeat,
            deadLetter: (items) => this.deadLetter(batch, items),
          });
        } catch (err) {
          throw new HandlerFault(err);
        }
        if (!handled) return;
        const last = messages[messages.length - 1]!.offset;
        resolveOffset(last);
        await consumer.commitOffsets([
          { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
        ]);
        await heartbeat();
      }
    } finally {
      this.busy--;
      this.lastFetchAt = Date.now();
    }
  }

  private async deadLetter(batch: EachBatchPayload["batch"], items: readonly DeadLetter[]): Promise<void> {
    await this.dlq!.send({
      topic: dlqTopic(this.o.topic),
      acks: -1,
      compression: CompressionTypes.GZIP,
      messages: items.map(({ message, reason }) => {
        // Our own messages: the handler hands back what this batch gave it.
        const m = message as EachBatchPayload["batch"]["messages"][number];
        const value = m.value ?? null;
        const truncated = value !== null && value.byteLength > DLQ_MAX_VALUE_BYTES;
        return {
          key: m.key,
          value: truncated ? value.subarray(0, DLQ_MAX_VALUE_BYTES) : value,
          headers: {
            "logflow-dlq-reason": reason,
            "logflow-source-topic": batch.topic,
            "logflow-source-partition": String(batch.partition),
            "logflow-source-offset": m.offset,
            "logflow-dead-lettered-at": new Date().toISOString(),
            ...(truncated ? { "logflow-truncated-from-bytes": String(value.byteLength) } : {}),
          },
        };
      }),
    });
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
