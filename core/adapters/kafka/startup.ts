import type { LogLine } from "../../logger.ts";
import { EX_UNAVAILABLE, StartupError, type WaitOptions, waitFor } from "../../startup.ts";
import { kafkaClient, pingKafka } from "./client.ts";

/** The line a process that could not reach Kafka ends with. */
export function kafkaUnavailable(brokers: string[], reason: string, waited?: number): StartupError {
  return new StartupError(
    EX_UNAVAILABLE,
    `KAFKA_BROKERS: no Kafka broker answered at ${brokers.join(",")}${waited === undefined ? "" : ` within ${waited} s`} (${reason}); check that Kafka is running and that KAFKA_BROKERS lists the host:port it listens on (STARTUP_WAIT_SECONDS sets the wait)`,
  );
}

/**
 * Wait until a broker of `brokers` answers a metadata request, for at most `o.waitMs`; throws
 * StartupError (EX_UNAVAILABLE) naming KAFKA_BROKERS when none did.
 */
export function waitForKafka(brokers: string[], o: WaitOptions): Promise<void> {
  return waitFor(
    `Kafka at ${brokers.join(",")}`,
    async () => {
      const ping = await pingKafka(brokers, Math.max(1_000, Math.min(3_000, o.waitMs)));
      if (!ping.ok) throw new Error(ping.error);
    },
    (err) => ({ retry: true, reason: err instanceof Error ? err.message : String(err) }),
    (reason, waited) => kafkaUnavailable(brokers, reason, waited),
    o,
  );
}

/**
 * Wait, as long as it takes, until `topic` exists (the collector creates it on its first start, which
 * in a stack started in any order may come after the indexer's). Says so at once and each minute
 * after; Kafka going away meanwhile is waited for too.
 */
export async function waitForTopic(
  brokers: string[],
  topic: string,
  o: { log?: LogLine; pollMs?: number; signal?: AbortSignal },
): Promise<void> {
  const admin = kafkaClient({ brokers, clientId: "logflow-topic-wait", connectionTimeoutMs: 3_000 }).admin({
    retry: { retries: 0 },
  });
  let lastSaid = Number.NEGATIVE_INFINITY;
  try {
    while (!o.signal?.aborted) {
      let why: string;
      try {
        await admin.connect();
        if ((await admin.listTopics()).includes(topic)) return;
        why = "it does not exist yet";
      } catch (err) {
        why = `Kafka: ${err instanceof Error ? err.message : String(err)}`;
      }
      if (Date.now() - lastSaid >= 60_000) {
        lastSaid = Date.now();
        o.log?.({
          level: "WARNING",
          msg: `waiting for the topic ${topic} (KAFKA_TOPIC): ${why}; the collector creates it on its first start, so check that one runs with the same KAFKA_TOPIC`,
        });
      }
      await new Promise((r) => setTimeout(r, o.pollMs ?? 2_000));
    }
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
