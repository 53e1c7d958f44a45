/**
 * The broker goes away mid-stream and comes back (killed, then restarted: the dev broker of
 * `bun run kafka:dev`). No event Kafka acked is lost, and producer and consumer resume by themselves.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { LogEvent } from "../../core/log-event.ts";
import { devBroker, runningPid, startBroker, stopBroker } from "../../dev/kafka/broker.ts";
import { kafkaReachable, postgresReachable, requiredEngines } from "../helpers/engines.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";
import {
  BROKERS,
  committedLag,
  connectQueue,
  dropTopics,
  freshDb,
  freshNames,
  makeEvents,
  startIndexer,
  waitFor,
} from "./harness.ts";

integrationTimeouts();

const enabled = (await kafkaReachable()) && (await postgresReachable());
const broker = devBroker();
const restartable = enabled && BROKERS.join(",") === broker.bootstrap && runningPid(broker) !== null;
if (enabled && !restartable) {
  const why = `the test Kafka at ${BROKERS.join(",")} is not the dev broker this test can restart (bun run kafka:dev)`;
  if (requiredEngines().has("kafka")) throw new Error(why);
  console.warn(`[skip] ${why}; broker-restart suite skipped`);
}

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => {});
});

describe.skipIf(!restartable)("broker restart mid-stream (real broker, real Postgres)", () => {
  test("no acked event is lost; producer and consumer resume by themselves", async () => {
    const { topic, group } = freshNames("restart");
    const db = await freshDb();
    cleanup.push(() => db.close());
    const queue = await connectQueue(topic, 4, 10_000);
    cleanup.push(() => dropTopics(topic));
    cleanup.push(() => queue.close());
    const ix = await startIndexer({ topic, group, store: db.store });
    cleanup.push(() => ix.stop());
    cleanup.push(() => startBroker(broker, { quiet: true })); // whatever happens, leave a broker up

    // A steady publisher: what resolved is acked; what failed (broker away) is not, and is not counted.
    const acked: LogEvent[] = [];
    let failed = 0;
    let publishing = true;
    const publisher = (async () => {
      while (publishing) {
        const batch = makeEvents(50, ["a", "b", "c", "d"]);
        try {
          await queue.publish(batch);
          acked.push(...batch);
        } catch {
          failed++;
          await Bun.sleep(200);
        }
      }
    })();

    await waitFor("indexing under way", async () => (await db.count()) >= 1_000, 30_000);
    expect(await stopBroker(broker, { signal: "SIGKILL" })).toBe(true);
    const ackedAtKill = acked.length;
    await startBroker(broker, { quiet: true });
    await waitFor(
      "the producer acked again after the restart",
      async () => ({
        ok: acked.length >= ackedAtKill + 1_000,
        seen: { acked: acked.length, ackedAtKill, failed },
      }),
      60_000,
    );
    publishing = false;
    await publisher;

    const want = new Set(acked.map((e) => e.id));
    const missing = async () => {
      const rows = await db.sql<{ id: string }[]>`select id::text as id from logs`;
      const have = new Set(rows.map((r) => r.id));
      return [...want].filter((id) => !have.has(id)).length;
    };
    await waitFor(
      "every acked event stored",
      async () => {
        const n = await missing();
        return { ok: n === 0, seen: { missing: n, acked: want.size } };
      },
      90_000,
      500,
    );
    await waitFor(
      "the consumer committed up to the end",
      async () => (await committedLag(topic, group)) === 0,
      30_000,
    );
  }, 180_000);
});
