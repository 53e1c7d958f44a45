import { describe, expect, test } from "bun:test";
import { freshService, ingest, suiteApp } from "../helpers/app.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

const t = suiteApp();
type Log = { id: string; message: string };
const at = Date.now() - 10 * 60_000;

/** 1,000 lines sharing one millisecond (a stack trace shipped line by line), sent in `requests` requests. */
async function shipStackTrace(requests: number): Promise<string> {
  const service = freshService("stack");
  const lines = Array.from({ length: 1_000 }, (_, i) => ({ service, message: `frame ${i}`, timestamp: at }));
  for (let r = 0; r < requests; r++) {
    const part = lines.slice((r * 1_000) / requests, ((r + 1) * 1_000) / requests);
    expect(((await (await ingest(t, part)).json()) as { accepted: number }).accepted).toBe(part.length);
  }
  return service;
}

const frames = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `frame ${from + i}`);

describe("events of one millisecond keep their arrival order", () => {
  for (const requests of [1, 10]) {
    test(`in search (newest first) and in context (oldest first), sent in ${requests} request(s)`, async () => {
      const service = await shipStackTrace(requests);
      const res = await t.request(`/api/v1/logs/search?service=${service}&limit=1000`);
      const logs = ((await res.json()) as { logs: Log[] }).logs;
      expect(logs.map((l) => l.message)).toEqual(frames(0, 1_000).toReversed());

      const hit = logs.find((l) => l.message === "frame 500")!;
      const ctx = (await (await t.request(`/api/v1/logs/${hit.id}/context?before=5&after=5`)).json()) as {
        before: Log[];
        after: Log[];
      };
      expect(ctx.before.map((l) => l.message)).toEqual(frames(495, 500));
      expect(ctx.after.map((l) => l.message)).toEqual(frames(501, 506));
    }, 60_000);
  }
});
