import { describe, expect, test } from "bun:test";
import type { EngineRequest, EngineTransport } from "./backend.ts";
import { SearchEngineError } from "./backend.ts";
import { type BulkDoc, bulkCreate } from "./bulk.ts";

type Item = { status: number; error?: { type: string; reason: string } };

/** A transport answering each bulk request from a script, and recording what it was sent. */
function scripted(answers: ((ids: string[]) => { status: number; body: unknown } | Error)[]) {
  const sent: string[][] = [];
  const transport = (async (req: EngineRequest) => {
    const ids = (req.bulkBody ?? [])
      .filter((_, i) => i % 2 === 0)
      .map((a) => (a as { create: { _id: string } }).create._id);
    sent.push(ids);
    const answer = answers[sent.length - 1];
    if (!answer) throw new Error(`unexpected request ${sent.length}`);
    const r = answer(ids);
    if (r instanceof Error) throw r;
    return r;
  }) as EngineTransport;
  return { transport, sent };
}

function items(...statuses: (number | Item)[]) {
  return {
    status: 200,
    body: {
      errors: true,
      items: statuses.map((s) => ({ create: typeof s === "number" ? { status: s } : s })),
    },
  };
}

const docs = (n: number): BulkDoc[] =>
  Array.from({ length: n }, (_, i) => ({ index: "i", id: `e${i}`, source: { n: i } }));

const noWait = { sleep: async () => {} };

describe("bulk create", () => {
  test("counts each item: 201 written, 409 duplicate, 400 rejected with the engine's reason", async () => {
    const mapping = {
      status: 400,
      error: { type: "mapper_parsing_exception", reason: "failed to parse [x]" },
    };
    const { transport } = scripted([() => items(201, 409, mapping, 201)]);
    expect(await bulkCreate(transport, docs(4), noWait)).toEqual({
      written: 2,
      duplicates: 1,
      rejected: [{ id: "e2", status: 400, type: "mapper_parsing_exception", reason: "failed to parse [x]" }],
    });
  });

  test("retries only the items answered 429 or 5xx, with growing backoff, until they are stored", async () => {
    const waits: number[] = [];
    const { transport, sent } = scripted([
      () => items(201, 429, 503, 409),
      () => items(429, 201),
      () => items(201),
    ]);
    const outcome = await bulkCreate(transport, docs(4), {
      sleep: async (ms) => {
        waits.push(ms);
      },
      initialBackoffMs: 100,
    });
    expect(outcome).toEqual({ written: 3, duplicates: 1, rejected: [] });
    expect(sent).toEqual([["e0", "e1", "e2", "e3"], ["e1", "e2"], ["e1"]]);
    expect(waits.length).toBe(2);
    expect(waits[0]).toBeGreaterThanOrEqual(50);
    expect(waits[0]).toBeLessThanOrEqual(100);
    expect(waits[1]).toBeGreaterThanOrEqual(100);
    expect(waits[1]).toBeLessThanOrEqual(200);
  });

  test("a whole request refused with 429, or lost on the network, is sent again", async () => {
    const { transport, sent } = scripted([
      () => ({
        status: 429,
        body: { error: { type: "es_rejected_execution_exception", reason: "queue full" } },
      }),
      () => new SearchEngineError(0, "unreachable", "ECONNRESET"),
      () => items(201, 201),
    ]);
    expect(await bulkCreate(transport, docs(2), noWait)).toEqual({ written: 2, duplicates: 0, rejected: [] });
    expect(sent.length).toBe(3);
  });

  test("an engine that stays overloaded fails the call (retryable), never drops the events silently", async () => {
    const { transport, sent } = scripted(Array.from({ length: 3 }, () => () => items(429)));
    const run = bulkCreate(transport, docs(1), { ...noWait, maxAttempts: 3 });
    await expect(run).rejects.toBeInstanceOf(SearchEngineError);
    await expect(run).rejects.toThrow(/not stored after 3 attempts/);
    expect(sent.length).toBe(3);
  });

  test("an engine that stays unreachable fails the call saying so, with the network's error (not a 429)", async () => {
    const { transport } = scripted(
      Array.from(
        { length: 3 },
        () => () => new SearchEngineError(0, "unreachable", "connect ECONNREFUSED 127.0.0.1:9200"),
      ),
    );
    const err = (await bulkCreate(transport, docs(1), { ...noWait, maxAttempts: 3 }).catch(
      (e: unknown) => e,
    )) as SearchEngineError;
    expect(err).toBeInstanceOf(SearchEngineError);
    expect({ status: err.status, type: err.type }).toEqual({ status: 0, type: "unreachable" });
    expect(err.message).toBe(
      "search engine: connect ECONNREFUSED 127.0.0.1:9200 (1 event(s) not stored after 3 attempts; writing the batch again is safe)",
    );
  });

  test("a write block on the index (disk full, index closed) is an outage to retry, not a rejection", async () => {
    for (const type of ["cluster_block_exception", "index_closed_exception"]) {
      const { transport } = scripted([
        () =>
          items(201, {
            status: type === "index_closed_exception" ? 400 : 403,
            error: { type, reason: "blocked" },
          }),
      ]);
      const err = (await bulkCreate(transport, docs(2), noWait).catch(
        (e: unknown) => e,
      )) as SearchEngineError;
      expect(err).toBeInstanceOf(SearchEngineError);
      expect(err.message).toContain(type);
      expect(err.message).toContain("writing the batch again is safe");
    }
  });

  test("a request the engine refuses as a whole (400) is an error, not a silent loss", async () => {
    const { transport } = scripted([
      () => ({ status: 400, body: { error: { type: "illegal_argument_exception", reason: "bad" } } }),
    ]);
    await expect(bulkCreate(transport, docs(2), noWait)).rejects.toThrow(/illegal_argument_exception/);
  });

  test("splits large writes into requests of at most maxEvents events", async () => {
    const { transport, sent } = scripted([() => items(201, 201), () => items(201, 201), () => items(201)]);
    const outcome = await bulkCreate(transport, docs(5), { ...noWait, maxEvents: 2, concurrency: 1 });
    expect(outcome.written).toBe(5);
    expect(sent).toEqual([["e0", "e1"], ["e2", "e3"], ["e4"]]);
  });
});
