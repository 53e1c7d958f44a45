/**
 * `kafka:dev` and `opensearch:dev` reuse and stop only an engine this checkout started: a port held by
 * anything else is an error naming the variable that moves ours, and a pid file whose process is some
 * other program (a recycled pid) is not ours to stop.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { devBroker, runningPid, startBroker, stopBroker } from "../dev/kafka/broker.ts";
import { devNode, startNode, stopNode } from "../dev/opensearch/node.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";

integrationTimeouts();

let dir: string;
let squatter: Bun.TCPSocketListener<undefined>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "logflow-dev-engines-"));
  // Any process holding the port: here, a plain TCP listener that is neither Kafka nor OpenSearch.
  squatter = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
});
afterAll(() => {
  squatter.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

describe("dev engines own what they start", () => {
  test("kafka:dev refuses a port another process holds, naming KAFKA_DEV_PORT, and starts nothing", async () => {
    const b = devBroker({ KAFKA_DEV_PORT: String(squatter.port), KAFKA_DEV_DIR: join(dir, "kafka") });
    await expect(startBroker(b, { quiet: true })).rejects.toThrow(
      new RegExp(`port ${squatter.port} is in use.*KAFKA_DEV_PORT=`),
    );
    expect(runningPid(b)).toBeNull();
  });

  test("opensearch:dev refuses a port another process holds, naming OPENSEARCH_DEV_PORT", async () => {
    const node = devNode({ OPENSEARCH_DEV_PORT: String(squatter.port), OPENSEARCH_DEV_DIR: join(dir, "os") });
    await expect(startNode(node)).rejects.toThrow(
      new RegExp(`port ${squatter.port} is in use.*OPENSEARCH_DEV_PORT=`),
    );
  });

  test("a pid file naming some other live process is not ours: stop leaves that process alone", async () => {
    const b = devBroker({ KAFKA_DEV_PORT: String(squatter.port), KAFKA_DEV_DIR: join(dir, "kafka-stale") });
    const node = devNode({
      OPENSEARCH_DEV_PORT: String(squatter.port),
      OPENSEARCH_DEV_DIR: join(dir, "os-stale"),
    });
    for (const d of [b.dir, node.dir]) mkdirSync(d, { recursive: true });
    // This test process stands in for a recycled pid: alive, but not started from those directories.
    writeFileSync(b.pidFile, String(process.pid));
    writeFileSync(node.pidFile, String(process.pid));
    expect(runningPid(b)).toBeNull();
    expect(await stopBroker(b)).toBe(false);
    expect(await stopNode(node)).toBe(false);
  });
});
