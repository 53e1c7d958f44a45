/**
 * The log store going away under a running API, and coming back: reads answer 503 "Log store
 * unavailable" with Retry-After (never 500), ingest answers 503 and stores nothing it acknowledged, and
 * both recover by themselves. Real OpenSearch and real Postgres, reached through a forwarder the test
 * cuts (connections closed, new ones refused, as by a stopped server): the shared engines stay up for
 * everyone else.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ingest, startTestApp, type TestApp } from "./helpers/app.ts";
import {
  freshPostgresDatabase,
  OPENSEARCH_TEST_URL,
  opensearchReachable,
  postgresReachable,
} from "./helpers/engines.ts";
import { type Forwarder, forwarder } from "./helpers/forwarder.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";

integrationTimeouts(90_000);

const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

async function until(what: string, check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(250);
  }
}

/** The same scenario on each store: what clients see while it is away and after it is back. */
function storeGoesAway(
  name: string,
  start: () => Promise<{ app: TestApp; link: Forwarder; done(): Promise<void> }>,
) {
  describe(name, () => {
    let app: TestApp;
    let link: Forwarder;
    let done: () => Promise<void>;
    beforeAll(async () => {
      ({ app, link, done } = await start());
    }, 60_000);
    afterAll(async () => {
      await link?.heal();
      await done?.();
    });

    const search = (word: string) =>
      app.request(`/api/v1/logs/search?query=${word}&limit=5`, {
        headers: { authorization: `Bearer ${app.adminToken}` },
      });

    test("reads and ingest answer 503 with Retry-After while it is away, and work again once it is back", async () => {
      const word = `outage${run}`;
      expect((await ingest(app, [{ service: "outage", message: `${word} before` }])).status).toBe(200);
      expect((await search(word)).status).toBe(200);

      await link.cut();
      const read = await search(word);
      expect(read.status).toBe(503);
      expect(read.headers.get("content-type")).toContain("application/problem+json");
      expect(Number(read.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(((await read.json()) as { detail: string }).detail).toBe(
        "Log store unavailable; retry after the delay in Retry-After",
      );
      const write = await ingest(app, [{ service: "outage", message: `${word} during` }]);
      expect(write.status).toBe(503);
      expect(write.headers.get("retry-after")).not.toBeNull();

      await link.heal();
      await until("search answering again", async () => (await search(word)).status === 200);
      expect((await ingest(app, [{ service: "outage", message: `${word} after` }])).status).toBe(200);
      await until("both acknowledged events found", async () => {
        const res = await search(word);
        const body = (await res.json()) as { logs: { message: string }[] };
        return res.status === 200 && body.logs.length === 2;
      });
      const body = (await (await search(word)).json()) as { logs: { message: string }[] };
      expect(body.logs.map((l) => l.message).sort()).toEqual([`${word} after`, `${word} before`]);
    });
  });
}

if (await opensearchReachable()) {
  storeGoesAway("OpenSearch away under the API", async () => {
    const link = await forwarder(new URL(OPENSEARCH_TEST_URL).host);
    const app = await startTestApp({
      OPENSEARCH_URL: `http://${link.address}`,
      SEARCH_INDEX_PREFIX: `logflow-outage-${run}`,
    });
    return {
      app,
      link,
      async done() {
        await app.close();
        await fetch(`${OPENSEARCH_TEST_URL}/logflow-outage-${run}-*`, { method: "DELETE" }).catch(() => {});
        await fetch(`${OPENSEARCH_TEST_URL}/_index_template/logflow-outage-${run}`, {
          method: "DELETE",
        }).catch(() => {});
        await link.close();
      },
    };
  });
}

if (await postgresReachable()) {
  storeGoesAway("Postgres away under the API", async () => {
    const db = await freshPostgresDatabase();
    const url = new URL(db.url);
    const link = await forwarder(url.host);
    url.host = link.address;
    const app = await startTestApp({ DATABASE_URL: url.toString() });
    return {
      app,
      link,
      async done() {
        await app.close();
        await link.close();
        await db.drop();
      },
    };
  });
}
