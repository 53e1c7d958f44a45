/**
 * The kafkajs client, built in one place. Every kafkajs import of LogFlow lives in this folder, so the
 * client library can be swapped without touching the rest.
 */
import {
  type Admin,
  type ISocketFactory,
  Kafka,
  KafkaJSError,
  KafkaJSProtocolError,
  type logCreator,
  logLevel,
} from "kafkajs";
import type { LogLine } from "../../logger.ts";
import { useGzipCodec } from "./gzip.ts";

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  /** Where kafkajs's own warnings and errors go (as LogFlow log lines); silent when absent. */
  log?: LogLine;
  /** Connection timeout per broker, ms (kafkajs default 1,000). */
  connectionTimeoutMs?: number;
  /** How often the client retries a failed connection or request (kafkajs's default 5 when absent). */
  retries?: number;
  /** How connections to brokers are opened (kafkajs's plain TCP when absent; tests cut the network here). */
  socketFactory?: ISocketFactory;
}

const LEVEL: Record<number, string> = {
  [logLevel.ERROR]: "ERROR",
  [logLevel.WARN]: "WARNING",
  [logLevel.INFO]: "INFO",
  [logLevel.DEBUG]: "DEBUG",
};

export function kafkaClient(opts: KafkaClientOptions): Kafka {
  useGzipCodec();
  const log = opts.log;
  const creator: logCreator =
    () =>
    ({ level, label, log: entry }) => {
      if (!log) return;
      const { message, timestamp: _t, logger: _l, ...rest } = entry;
      log({ level: LEVEL[level] ?? label, msg: `kafkajs: ${message}`, ...rest });
    };
  return new Kafka({
    brokers: opts.brokers,
    clientId: opts.clientId,
    connectionTimeout: opts.connectionTimeoutMs ?? 3_000,
    ...(opts.retries !== undefined ? { retry: { retries: opts.retries } } : {}),
    ...(opts.socketFactory ? { socketFactory: opts.socketFactory } : {}),
    logLevel: log ? logLevel.WARN : logLevel.NOTHING,
    logCreator: creator,
  });
}

/** Whether a broker answers a metadata request within `timeoutMs`; the error's text otherwise. */
export async function pingKafka(
  brokers: string[],
  timeoutMs = 3_000,
  socketFactory?: ISocketFactory,
): Promise<{ ok: true; brokers: number } | { ok: false; error: string }> {
  // No retries: the caller decides when to ask again, and hears the real cause (a refused connection).
  const admin = kafkaClient({
    brokers,
    clientId: "logflow-ping",
    connectionTimeoutMs: timeoutMs,
    retries: 0,
    ...(socketFactory ? { socketFactory } : {}),
  }).admin({
    retry: { retries: 0 },
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    const cluster = await Promise.race([
      (async () => {
        await admin.connect();
        return admin.describeCluster();
      })(),
      timeout,
    ]);
    return { ok: true, brokers: cluster.brokers.length };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => {});
  }
}

export interface TopicSpec {
  topic: string;
  partitions: number;
}

/** Create the topics that do not exist yet (an existing topic is left as it is). */
export async function ensureTopics(admin: Admin, topics: TopicSpec[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t.topic));
  if (!missing.length) return [];
  try {
    await admin.createTopics({
      waitForLeaders: true,
      // No replication factor: the broker's default.replication.factor decides.
      topics: missing.map((t) => ({ topic: t.topic, numPartitions: t.partitions })),
    });
  } catch (err) {
    // Another process created it between our list and our create: that is what we wanted.
    if (!(err instanceof Error && /already exists/i.test(err.message))) throw err;
  }
  return missing.map((t) => t.topic);
}

/** Consumer lag of a group on a topic: high watermark minus committed offset, summed over partitions. */
export async function groupLag(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [ends, committed] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  const done = new Map<number, bigint>();
  for (const p of committed[0]?.partitions ?? []) done.set(p.partition, BigInt(p.offset));
  let lag = 0n;
  for (const p of ends) {
    const high = BigInt(p.high);
    const low = BigInt(p.low);
    const at = done.get(p.partition) ?? -1n;
    // -1: nothing committed yet; the group starts from the earliest offset still kept.
    const from = at < 0n ? low : at;
    if (high > from) lag += high - from;
  }
  return Number(lag);
}

/**
 * Whether an error is Kafka being unavailable for now (no broker answers, a leader moving, retries
 * exhausted on either), worth retrying; false for a request the broker refuses for good (a protocol
 * error it marks not retriable: authorization, a record too large) and for anything not from kafkajs.
 */
export function isKafkaOutage(err: unknown): boolean {
  if (!(err instanceof KafkaJSError)) return false;
  for (let e: unknown = err; e instanceof KafkaJSError; e = e.cause) {
    if (e instanceof KafkaJSProtocolError && !e.retriable) return false;
  }
  return true;
}
