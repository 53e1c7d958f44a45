/**
 * Raw topic access for tests, benchmarks and operators (reading the dead-letter topic, producing
 * arbitrary bytes): plain produce and read, without LogFlow's event encoding.
 */
import { Partitioners } from "kafkajs";
import { kafkaClient } from "./client.ts";

export interface RawMessage {
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  partition: number;
  offset: string;
}

/** Produce messages as given (acks=all); resolves on the ack. */
export async function produceRaw(
  brokers: string[],
  topic: string,
  messages: { key?: string; value: Buffer | string | null; partition?: number }[],
): Promise<void> {
  const producer = kafkaClient({ brokers, clientId: "logflow-raw" }).producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

/**
 * Read every message of a topic from the beginning (high watermarks taken at the start), or until
 * `timeoutMs`. Joins a throwaway consumer group and commits nothing.
 */
export async function readTopic(brokers: string[], topic: string, timeoutMs = 20_000): Promise<RawMessage[]> {
  const kafka = kafkaClient({ brokers, clientId: "logflow-raw" });
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const out: RawMessage[] = [];
  // Next offset to read per partition, starting at the oldest kept; done when each reached its high mark.
  const next = new Map(ends.map((p) => [p.partition, BigInt(p.low)]));
  const done = () => ends.every((p) => (next.get(p.partition) ?? 0n) >= BigInt(p.high));
  if (done()) return out;
  const consumer = kafka.consumer({ groupId: `logflow-raw-${crypto.randomUUID()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`reading ${topic}: timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(message.headers ?? {})) {
              if (v !== undefined) headers[k] = Array.isArray(v) ? String(v[0]) : String(v);
            }
            out.push({
              key: message.key?.toString() ?? null,
              value: message.value,
              headers,
              partition,
              offset: message.offset,
            });
            next.set(partition, BigInt(message.offset) + 1n);
            if (done()) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}
