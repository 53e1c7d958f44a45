/**
 * The shipper protocols in the cluster profile (KAFKA_BROKERS set): each answers only once Kafka acked
 * and puts its events on the topic as native ingest does; a full producer is Elasticsearch's per-item
 * 429 for bulk.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readTopic } from "../../core/adapters/kafka/raw.ts";
import { LogEventSchema } from "../../core/log-event.ts";
import { type SyslogListener, startSyslogListener } from "../../workers/bun/syslog-listener.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { kafkaReachable } from "../helpers/engines.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";
import { BROKERS, dropTopics, freshNames, withBackedUpProducer } from "./harness.ts";

integrationTimeouts();

const enabled = await kafkaReachable();

describe.skipIf(!enabled)("shipper protocols through Kafka", () => {
  const { topic } = freshNames("shippers");
  let t: TestApp;
  let syslog: SyslogListener;
  beforeAll(async () => {
    t = await startTestApp({ KAFKA_BROKERS: BROKERS.join(","), KAFKA_TOPIC: topic });
    syslog = await startSyslogListener(t.runtime.deps, { port: 0, hostname: "127.0.0.1" });
  }, 60_000);
  afterAll(async () => {
    await syslog?.stop();
    await t?.close();
    await dropTopics(topic);
  });

  const post = (path: string, type: string, body: string) =>
    t.request(path, {
      method: "POST",
      headers: { "content-type": type, authorization: `Bearer ${t.adminToken}` },
      body,
    });

  test("bulk, OTLP, Loki, plain lines and syslog each reach the topic once, keyed by service", async () => {
    const bulk = await post(
      "/_bulk",
      "application/x-ndjson",
      '{"index":{"_index":"k-bulk"}}\n{"message":"via bulk"}\n',
    );
    expect(((await bulk.json()) as { errors: boolean }).errors).toBe(false);
    const otlp = await post(
      "/v1/logs",
      "application/json",
      JSON.stringify({
        resourceLogs: [
          {
            resource: { attributes: [{ key: "service.name", value: { stringValue: "k-otlp" } }] },
            scopeLogs: [{ logRecords: [{ body: { stringValue: "via otlp" } }] }],
          },
        ],
      }),
    );
    expect(otlp.status).toBe(200);
    const loki = await post(
      "/loki/api/v1/push",
      "application/json",
      JSON.stringify({
        streams: [{ stream: { job: "k-loki" }, values: [[`${Date.now()}000000`, "via loki"]] }],
      }),
    );
    expect(loki.status).toBe(204);
    expect((await post("/api/v1/ingest?service=k-plain", "text/plain", "via plain\n")).status).toBe(200);
    const socket = await Bun.connect({ hostname: "127.0.0.1", port: syslog.tcpPort, socket: { data() {} } });
    socket.write("<14>1 - host k-syslog - - - via syslog\n");
    socket.end();

    let events: { key: string | null; message: string }[] = [];
    for (let i = 0; i < 100 && events.length < 5; i++) {
      if (i > 0) await Bun.sleep(100);
      events = (await readTopic(BROKERS, topic)).map((m) => ({
        key: m.key,
        message: LogEventSchema.parse(JSON.parse(m.value!.toString())).message,
      }));
    }
    expect(events.sort((a, b) => a.message.localeCompare(b.message))).toEqual([
      { key: "k-bulk", message: "via bulk" },
      { key: "k-loki", message: "via loki" },
      { key: "k-otlp", message: "via otlp" },
      { key: "k-plain", message: "via plain" },
      { key: "k-syslog", message: "via syslog" },
    ]);
    // The store is the indexer's job.
    expect((await t.runtime.deps.store.search({ limit: 10 })).total).toBe(0);
  });

  test("a producer that cannot keep up: bulk items answered 429 with Retry-After, nothing published", async () => {
    await withBackedUpProducer(t, topic, async (app) => {
      const body = Array.from(
        { length: 6 },
        (_, i) => `{"index":{"_index":"burst"}}\n{"message":"m${i}"}`,
      ).join("\n");
      const res = await app.request("/_bulk", {
        method: "POST",
        headers: { "content-type": "application/x-ndjson", authorization: `Bearer ${t.adminToken}` },
        body,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("retry-after")).toBe("1");
      const answer = (await res.json()) as { errors: boolean; items: { index: { status: number } }[] };
      expect(answer.errors).toBe(true);
      expect(answer.items.map((i) => i.index.status)).toEqual([429, 429, 429, 429, 429, 429]);
    });
  });
});
