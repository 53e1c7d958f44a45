import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { replayText } from "../../stream-jobs/generator/replay.ts";
import { freshService, ingest, startTestApp, type TestApp } from "../helpers/app.ts";
import { loghubDir } from "../helpers/loghub.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

const LOGHUB = loghubDir();
// HDFS: block ids with minus signs and IPs with ports; OpenSSH: user names, pids, hosts; Apache: brackets.
const FILES = ["HDFS/HDFS_2k.log", "OpenSSH/OpenSSH_2k.log", "Apache/Apache_2k.log"];

describe.skipIf(LOGHUB === null)("real logs (LogHub) replayed through the ingest API", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  }, 60_000);
  afterAll(async () => {
    await t.close();
  });

  for (const file of FILES) {
    test(`every line of ${file} is found again by its own text`, async () => {
      const service = freshService(file.split("/")[0]!.toLowerCase());
      const events = replayText(readFileSync(resolve(LOGHUB as string, file), "utf8"), file, { service });
      expect(events.length).toBeGreaterThan(1900);
      for (let i = 0; i < events.length; i += 500) {
        const res = await ingest(t, events.slice(i, i + 500));
        const body = (await res.json()) as { accepted: number; errors: unknown[] };
        expect(body.errors).toEqual([]);
        expect(body.accepted).toBe(Math.min(500, events.length - i));
      }
      const missing: string[] = [];
      for (const { message } of events) {
        // The whole line as a phrase (its own quotes would end the phrase early).
        const query = `"${message.replaceAll('"', " ")}"`;
        const res = await t.request(
          `/api/v1/logs/search?${new URLSearchParams({ service, query, limit: "1000" })}`,
        );
        const body = (await res.json()) as { logs: { message: string }[] };
        if (res.status !== 200 || !body.logs.some((l) => l.message === message)) missing.push(message);
      }
      expect(missing).toEqual([]);
    }, 180_000);
  }
});
