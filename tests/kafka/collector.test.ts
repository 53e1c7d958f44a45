/**
 * The ingest API with KAFKA_BROKERS set (the collector role): answers only once Kafka acked, puts each
 * event on the topic keyed by its service, and answers 503 + Retry-After when the producer is behind.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readTopic } from "../../core/adapters/kafka/raw.ts";
import { LogEventSchema } from "../../core/log-event.ts";
import { ingest, startTestApp, type TestApp } from "../helpers/app.ts";
import { kafkaReachable } from "../helpers/engines.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";
import { BROKERS, dropTopics, freshNames, withBackedUpProducer } from "./harness.ts";

integrationTimeouts();

const enabled = await kafkaReachable();

describe.skipIf(!enabled)("ingest through Kafka (KAFKA_BROKERS set)", () => {
  const { topic } = freshNames("collector");
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ KAFKA_BROKERS: BROKERS.join(","), KAFKA_TOPIC: topic });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await dropTopics(topic);
  });

  test("2xx once Kafka acked: every event is on the topic, keyed by service; the store is the indexer's job", async () => {
    const res = await ingest(t, [
      { service: "payment", level: "ERROR", message: "card declined" },
      { service: "auth", message: "login ok" },
      { service: "payment", message: "retrying" },
      { message: "no service" },
    ]);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 3, rejected: 1 });

    const messages = await readTopic(BROKERS, topic);
    expect(messages).toHaveLength(3);
    const events = messages.map((m) => ({
      key: m.key,
      partition: m.partition,
      event: LogEventSchema.parse(JSON.parse(m.value!.toString())),
    }));
    expect(events.every(({ key, event }) => key === event.service)).toBe(true);
    const payment = events.filter((e) => e.key === "payment");
    expect(new Set(payment.map((e) => e.partition)).size).toBe(1); // one service, one partition: its order kept
    expect(payment.map((e) => e.event.message).sort()).toEqual(["card declined", "retrying"]);
    expect((await t.runtime.deps.store.search({ limit: 10 })).total).toBe(0);

    const health = await t.request("/health");
    expect(((await health.json()) as { details: { queue: string } }).details.queue).toContain(
      `kafka ${topic}`,
    );
  });

  test("a producer that cannot keep up answers 503 with Retry-After, and nothing is published", async () => {
    await withBackedUpProducer(t, topic, async (app) => {
      const res = await app.request("/api/v1/ingest", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${t.adminToken}` },
        body: JSON.stringify(Array.from({ length: 6 }, (_, i) => ({ service: "burst", message: `m${i}` }))),
      });
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("1");
    });
  });
});
