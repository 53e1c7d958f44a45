/**
 * `bun run indexer` as a process: killed without warning mid-stream it loses nothing and, restarted,
 * stores every acked event exactly once; asked to stop (SIGTERM) it commits and leaves its group.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { kafkaReachable, postgresReachable } from "../helpers/engines.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";
import {
  committedLag,
  connectQueue,
  dropTopics,
  freshDb,
  freshNames,
  groupState,
  makeEvents,
  publishAll,
  spawnIndexer,
  waitFor,
} from "./harness.ts";

integrationTimeouts();

const enabled = (await kafkaReachable()) && (await postgresReachable());
const ARTIFACTS = "tests/artifacts/kafka";

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => {});
});

async function setup(prefix: string) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const names = freshNames(prefix);
  const db = await freshDb();
  cleanup.push(() => db.close());
  const queue = await connectQueue(names.topic, 4);
  cleanup.push(() => dropTopics(names.topic));
  cleanup.push(() => queue.close());
  const start = (n: number) => {
    const proc = spawnIndexer({
      databaseUrl: db.url,
      ...names,
      logFile: `${ARTIFACTS}/${names.topic}-${n}.log`,
    });
    cleanup.push(async () => {
      proc.kill("SIGKILL");
      await proc.exited;
    });
    return proc;
  };
  return { ...names, db, queue, start };
}

describe.skipIf(!enabled)("the indexer process (real broker, real Postgres)", () => {
  test("SIGKILL mid-stream, then a restart: every acked event is stored exactly once", async () => {
    const { topic, group, db, queue, start } = await setup("sigkill");
    const events = makeEvents(20_000, ["a", "b", "c", "d", "e", "f"]);
    const publishing = publishAll(queue, events, 50, 2);

    const first = start(1);
    await waitFor(
      "the first indexer storing",
      async () => ({ ok: (await db.count()) >= 2_000, seen: await db.count() }),
      30_000,
      20,
    );
    first.kill("SIGKILL");
    expect(await first.exited).not.toBe(0);
    const atKill = await db.count();
    expect(atKill).toBeLessThan(events.length); // killed mid-stream, not after

    start(2);
    await publishing; // every publish resolved: all 20,000 acked by Kafka
    await waitFor(
      "every acked event stored",
      async () => ({ ok: (await db.count()) === events.length, seen: await db.count() }),
      60_000,
    );
    const rows = await db.sql<{ id: string }[]>`select id::text as id from logs`;
    expect(rows.map((r) => r.id).sort()).toEqual(events.map((e) => e.id).sort());
    await waitFor("lag 0", async () => (await committedLag(topic, group)) === 0, 20_000);
  }, 120_000);

  test("SIGTERM: the batch in hand is stored and committed, the group is left, exit 0", async () => {
    const { topic, group, db, queue, start } = await setup("sigterm");
    const events = makeEvents(3_000, ["a", "b", "c"]);
    await publishAll(queue, events);
    const proc = start(1);
    await waitFor("events stored", async () => (await db.count()) === events.length, 30_000);
    await waitFor("the group stable with one member", async () => {
      const g = await groupState(group);
      return { ok: g.state === "Stable" && g.members === 1, seen: g };
    });
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    expect(await committedLag(topic, group)).toBe(0);
    // Left, not timed out: the broker shows no member right away, not after the session timeout.
    expect(await groupState(group)).toEqual({ state: "Empty", members: 0 });
  }, 60_000);
});
