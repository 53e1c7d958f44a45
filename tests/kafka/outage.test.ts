/**
 * Kafka going away under a running collector, and coming back: ingest answers 503 "queue unavailable"
 * with Retry-After (never "queue is full"), /health says degraded with the queue unavailable, and both
 * recover by themselves; every event of a 2xx answer is on the topic. The broker is the real one; the
 * outage is a network cut between this process and it (every connection closed, new ones refused),
 * made in the client's socket factory, as the shared test broker cannot be stopped.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import type { ISocketFactory } from "kafkajs";
import { KafkaLogQueue } from "../../core/adapters/kafka/queue.ts";
import { readTopic } from "../../core/adapters/kafka/raw.ts";
import { createApp } from "../../edge-api/app.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { kafkaReachable } from "../helpers/engines.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";
import { BROKERS, dropTopics, freshNames, waitFor } from "./harness.ts";

integrationTimeouts(120_000);

/** A socket factory whose network can be cut (open connections closed, new ones refused) and healed. */
function cuttableNetwork() {
  let cut = false;
  const open = new Set<Socket>();
  const factory: ISocketFactory = ({ host, port, onConnect }) => {
    // Port 1 on loopback: nothing listens there, the connection is refused as by a stopped broker.
    const socket = cut
      ? connect({ host: "127.0.0.1", port: 1 }, onConnect)
      : connect({ host, port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    open.add(socket);
    socket.once("close", () => open.delete(socket));
    return socket;
  };
  return {
    factory,
    cut() {
      cut = true;
      for (const s of open) s.destroy();
    },
    heal() {
      cut = false;
    },
  };
}

describe.skipIf(!(await kafkaReachable()))("Kafka away under a running collector", () => {
  const { topic } = freshNames("outage");
  const network = cuttableNetwork();
  let t: TestApp;
  let queue: KafkaLogQueue;
  let app: ReturnType<typeof createApp>;
  beforeAll(async () => {
    t = await startTestApp();
    queue = await KafkaLogQueue.connect({
      brokers: BROKERS,
      clientId: "logflow-test-outage",
      topic,
      maxPending: 100_000,
      socketFactory: network.factory,
    });
    const deps = t.runtime.deps;
    app = createApp({
      ...deps,
      queue,
      health: [
        ...deps.health.filter((h) => h.name !== "queue"),
        { name: "queue", required: false, check: () => queue.health() },
      ],
    });
  }, 60_000);
  afterAll(async () => {
    network.heal();
    await queue?.close();
    await t?.close();
    await dropTopics(topic);
  });

  const ingest = (word: string) =>
    app.request("/api/v1/ingest", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${t.adminToken}` },
      body: JSON.stringify([{ service: "outage", message: word }]),
    });
  const health = async () =>
    (await (await app.request("/health")).json()) as {
      status: string;
      services: Record<string, string>;
      details: Record<string, string>;
    };

  test("503 queue unavailable with Retry-After while away, /health degraded; both recover, nothing acked lost", async () => {
    const acked: string[] = [];
    const first = await ingest("before");
    expect(first.status).toBe(200);
    acked.push("before");
    expect((await health()).status).toBe("healthy");

    network.cut();
    const refused = await ingest("during");
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    const body = (await refused.json()) as { detail: string; code: string };
    expect(body.code).toBe("UNAVAILABLE");
    expect(body.detail).toMatch(/^Ingest queue unavailable \(/);
    expect(body.detail).not.toContain("full");
    // Known away now: the next request is refused without being queued, so nothing answered 503 is
    // held in memory or sent to Kafka later as a duplicate.
    const pending = queue.lag();
    const fast = await ingest("refused at once");
    expect(fast.status).toBe(503);
    expect(((await fast.json()) as { detail: string }).detail).toMatch(/^Ingest queue unavailable \(/);
    expect(queue.lag()).toBe(pending);

    await waitFor("/health degraded", async () => (await health()).status === "degraded", 10_000);
    const away = await health();
    expect(away.services.queue).toBe("unhealthy");
    expect(away.details.queue).toContain("queue unavailable: no Kafka broker answers");

    network.heal();
    // The client retries after Retry-After, as a shipper would, until accepted.
    await waitFor(
      "ingest accepted again",
      async () => {
        const res = await ingest("after");
        if (res.status === 200) acked.push("after");
        return res.status === 200;
      },
      60_000,
    );
    await waitFor("/health healthy again", async () => (await health()).status === "healthy", 70_000);

    const messages = (await readTopic(BROKERS, topic)).map((m) => JSON.parse(m.value!.toString()).message);
    for (const word of acked) expect(messages).toContain(word);
    expect(messages).not.toContain("refused at once");
  });
});
