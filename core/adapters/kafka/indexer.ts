import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from "kafkajs";
import { CompressionTypes, Partitioners } from "kafkajs";
import type { LogEvent } from "../../log-event.ts";
import type { LogLine } from "../../logger.ts";
import { EventsRejectedError } from "../../ports/log-store.ts";
import { groupLag, kafkaClient } from "./client.ts";
import { validateLogEvent } from "../../log-event-check.ts";
import { dlqTopic } from "./queue.ts";

/** Where indexed events go: the LogStore, whose write is idempotent by event id. */
export interface IndexerSink {
  write(events: LogEvent[]): Promise<unknown>;
}

/** Called as the indexer works, for metrics. */
export interface IndexerHooks {
  batch?(info: { partition: number; messages: number; seconds: number }): void;
  indexed?(n: number): void;
  /** `kind`: the reason's first words (empty message, oversized, not JSON, invalid event). */
  deadLettered?(kind: string): void;
  /** A store write or dead-letter publish failed and will be retried. */
  retry?(what: string): void;
  restarted?(why: string): void;
}

export interface KafkaIndexerOptions {
  brokers: string[];
  clientId: string;
  topic: string;
  groupId: string;
  store: IndexerSink;
  log?: LogLine;
  hooks?: IndexerHooks;
  /** A message larger than this is dead-lettered unread (default 1 MiB). */
  maxMessageBytes?: number;
  /** Most events in one store write; a batch is written and committed in chunks of this size. */
  writeBatchSize?: number;
  /** Partitions handled at once by this process (each its own store write in flight). */
  partitionsConsumedConcurrently?: number;
  /** Backoff between retries of a failed store write, ms. */
  backoff?: { initialMs: number; maxMs: number };
  /**
   * A consumer that has not fetched for this long while no batch is being handled is stale (kafkajs
   * can stay connected yet idle after a broker restart): it is replaced by a new one, ms.
   */
  staleAfterMs?: number;
  sessionTimeoutMs?: number;
  /** How often the consumer lag is read from the broker, ms. */
  lagIntervalMs?: number;
}

type Resolved = Required<Omit<KafkaIndexerOptions, "log" | "hooks">> &
  Pick<KafkaIndexerOptions, "log" | "hooks">;

const DLQ_MAX_VALUE_BYTES = 512 * 1024;

export interface IndexerStatus {
  status: "healthy" | "degraded" | "unhealthy";
  detail: string;
  /** Messages in the topic not yet committed by the group; null until first read. */
  lag: number | null;
  restarts: number;
  /** Since when a store write has been failing (retried), or null. */
  storeFailingSince: number | null;
}

/**
 * The indexer: consumes the log topic in batches and writes them to the store. Offsets are committed
 * only after the store write (and any dead-letter publish) succeeded, so a crash replays, and the
 * store's idempotence by event id makes the replay a no-op. A message that cannot be decoded goes to
 * `<topic>.dlq` with the reason in the `logflow-dlq-reason` header; the rest of its batch is indexed.
 * A failing store is retried with backoff, heartbeating, committing nothing. A crashed or stale
 * consumer is replaced by a new one.
 */
export class KafkaIndexer {
  private readonly kafka: Kafka;
  private consumer: Consumer | null = null;
  private dlq: Producer | null = null;
  private admin: Admin | null = null;
  private stopping = false;
  private restarting: Promise<void> | null = null;
  private busy = 0;
  private lastFetchAt = Date.now();
  private lag: number | null = null;
  private lagError: string | null = null;
  private restarts = 0;
  private failingSince: number | null = null;
  private timers: ReturnType<typeof setInterval>[] = [];

  private constructor(private readonly o: Resolved) {
    this.kafka = kafkaClient(o);
  }

  static async start(options: KafkaIndexerOptions): Promise<KafkaIndexer> {
    const ix = new KafkaIndexer({
      maxMessageBytes: 1024 * 1024,
      writeBatchSize: 5_000,
      partitionsConsumedConcurrently: 3,
      backoff: { initialMs: 100, maxMs: 5_000 },
      staleAfterMs: 60_000,
      sessionTimeoutMs: 15_000,
      lagIntervalMs: 5_000,
      ...options,
    });
    ix.dlq = ix.kafka.producer({
      idempotent: true,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await ix.dlq.connect();
    ix.admin = ix.kafka.admin();
    await ix.admin.connect();
    ix.consumer = await ix.createConsumer();
    ix.timers.push(setInterval(() => void ix.watch(), Math.min(5_000, ix.o.staleAfterMs / 3)));
    ix.timers.push(setInterval(() => void ix.readLag(), ix.o.lagIntervalMs));
    void ix.readLag();
    return ix;
  }

  status(): IndexerStatus {
    const base = { lag: this.lag, restarts: this.restarts, storeFailingSince: this.failingSince };
    if (this.failingSince) {
      const s = Math.round((Date.now() - this.failingSince) / 1000);
      return { ...base, status: "degraded", detail: `store writes failing for ${s} s (retrying)` };
    }
    if (this.restarting) return { ...base, status: "degraded", detail: "consumer restarting" };
    if (this.lagError) return { ...base, status: "degraded", detail: `lag unknown: ${this.lagError}` };
    return { ...base, status: "healthy", detail: `lag ${this.lag ?? "?"}` };
  }

  /** Read the lag now (it is also read every lagIntervalMs). */
  async readLag(): Promise<number | null> {
    if (!this.admin) return this.lag;
    try {
      this.lag = await groupLag(this.admin, this.o.groupId, this.o.topic);
      this.lagError = null;
    } catch (err) {
      this.lagError = err instanceof Error ? err.message : String(err);
    }
    return this.lag;
  }

  /** Finish the batch in hand (when the store takes it), commit, leave the group, disconnect. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    await this.restarting;
    await this.consumer?.disconnect().catch(() => {});
    await this.dlq?.disconnect().catch(() => {});
    await this.admin?.disconnect().catch(() => {});
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
        eachBatch: (payload) => this.handleBatch(consumer, payload),
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
      this.o.hooks?.restarted?.(why);
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
    const t0 = performance.now();
    this.busy++;
    try {
      const go = () => isRunning() && !isStale();
      for (let i = 0; i < batch.messages.length; i += this.o.writeBatchSize) {
        // Stopping: finish the batch while the store takes it. Stale: the partition is someone else's.
        if (isStale()) return;
        const chunk = batch.messages.slice(i, i + this.o.writeBatchSize);
        const good: LogEvent[] = [];
        const messageOf = new Map<string, KafkaMessage>();
        const dead: { message: KafkaMessage; reason: string }[] = [];
        for (const m of chunk) {
          const d = decodeLogMessage(m.value, this.o.maxMessageBytes);
          if (d.ok) {
            good.push(d.event);
            messageOf.set(d.event.id.toLowerCase(), m);
          } else dead.push({ message: m, reason: d.reason });
        }
        // Events the store refuses for good (a search engine's mapping error, say) join the dead
        // letters with its reason; the rest of the write is stored. Anything else is an outage: retried.
        let refused = 0;
        const write = async () => {
          try {
            await this.o.store.write(good);
          } catch (err) {
            if (!(err instanceof EventsRejectedError)) throw err;
            for (const r of err.rejected) {
              const message = messageOf.get(r.id.toLowerCase());
              if (!message) continue;
              dead.push({ message, reason: `rejected by the store: ${r.status} ${r.type}: ${r.reason}` });
              refused++;
            }
          }
        };
        if (good.length && !(await this.untilDone("store write", write, heartbeat, go))) {
          return;
        }
        if (
          dead.length &&
          !(await this.untilDone("dead-letter publish", () => this.deadLetter(batch, dead), heartbeat, go))
        ) {
          return;
        }
        const last = chunk[chunk.length - 1]!.offset;
        resolveOffset(last);
        await consumer.commitOffsets([
          { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
        ]);
        if (good.length - refused > 0) this.o.hooks?.indexed?.(good.length - refused);
        for (const d of dead) this.o.hooks?.deadLettered?.(d.reason.split(":")[0] ?? "invalid");
        await heartbeat();
      }
    } finally {
      this.busy--;
      this.lastFetchAt = Date.now();
      this.o.hooks?.batch?.({
        partition: batch.partition,
        messages: batch.messages.length,
        seconds: (performance.now() - t0) / 1000,
      });
    }
  }

  private async deadLetter(
    batch: EachBatchPayload["batch"],
    dead: { message: KafkaMessage; reason: string }[],
  ): Promise<void> {
    await this.dlq!.send({
      topic: dlqTopic(this.o.topic),
      acks: -1,
      compression: CompressionTypes.GZIP,
      messages: dead.map(({ message, reason }) => {
        const value = message.value ?? null;
        const truncated = value !== null && value.byteLength > DLQ_MAX_VALUE_BYTES;
        return {
          key: message.key,
          value: truncated ? value.subarray(0, DLQ_MAX_VALUE_BYTES) : value,
          headers: {
            "logflow-dlq-reason": reason,
            "logflow-source-topic": batch.topic,
            "logflow-source-partition": String(batch.partition),
            "logflow-source-offset": message.offset,
            "logflow-dead-lettered-at": new Date().toISOString(),
            ...(truncated ? { "logflow-truncated-from-bytes": String(value.byteLength) } : {}),
          },
        };
      }),
    });
  }

  /**
   * Run `fn` until it succeeds, backing off between failures and heartbeating so the group keeps this
   * member. False when the consumer stopped or lost the partition meanwhile (nothing is committed then).
   */
  private async untilDone(
    what: string,
    fn: () => Promise<unknown>,
    heartbeat: () => Promise<void>,
    go: () => boolean,
  ): Promise<boolean> {
    let delay = this.o.backoff.initialMs;
    let failures = 0;
    for (;;) {
      try {
        await fn();
        if (failures) {
          this.o.log?.({ level: "INFO", msg: `indexer: ${what} succeeded again`, failures });
          this.failingSince = null;
        }
        return true;
      } catch (err) {
        failures++;
        this.failingSince ??= Date.now();
        this.o.hooks?.retry?.(what);
        // The first failure, then every 10th: an outage of minutes must not flood the log.
        if (failures === 1 || failures % 10 === 0) {
          this.o.log?.({
            level: "ERROR",
            msg: `indexer: ${what} failed; retrying`,
            failures,
            error: String(err),
          });
        }
        const until = Date.now() + delay;
        while (Date.now() < until) {
          if (!go()) return false;
          await heartbeat();
          await sleep(Math.min(250, Math.max(1, until - Date.now())));
        }
        if (!go()) return false;
        delay = Math.min(delay * 2, this.o.backoff.maxMs);
      }
    }
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function decodeLogMessage(
  value: Uint8Array | null,
  maxBytes: number,
): { ok: true; event: LogEvent } | { ok: false; reason: string } {
  if (!value || value.byteLength === 0) return { ok: false, reason: "empty message" };
  if (value.byteLength > maxBytes) {
    return { ok: false, reason: `oversized: ${value.byteLength} bytes > ${maxBytes}` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(utf8.decode(value));
  } catch (err) {
    return { ok: false, reason: `not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  const v = validateLogEvent(raw);
  return v.ok ? v : { ok: false, reason: `invalid event: ${v.reason}` };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
