import { describe, expect, test } from "bun:test";
import { timeOfId } from "../ids.ts";
import { DEFAULT_EVENT_LIMITS } from "../log-event.ts";
import { acceptItems } from "./decoded.ts";
import { type BulkAction, bulkAnswer, decodeBulk, esErrorBody } from "./es-bulk.ts";

const NOW = Date.parse("2026-11-29T12:00:00.000Z");
const OPTIONS = { limits: DEFAULT_EVENT_LIMITS, maxEvents: 1_000 };
const TS = "2026-11-29T11:59:00.000Z";

function decode(text: string, options: Partial<typeof OPTIONS> & { index?: string } = {}): BulkAction[] {
  const r = decodeBulk(text, { ...OPTIONS, ...options });
  if (!r.ok) throw new Error(r.error);
  return r.actions;
}

const ndjson = (...lines: unknown[]) => `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`;

describe("decodeBulk", () => {
  test("index and create actions; the index is the service unless the document names one", () => {
    const actions = decode(
      ndjson(
        { index: { _index: "nginx" } },
        { "@timestamp": TS, message: "GET /", "log.level": "warn" },
        { create: { _index: "app", _id: "a1" } },
        { message: "boom", service: { name: "payments" }, level: "error" },
      ),
    );
    expect(actions.map((a) => [a.op, a.index, a.id])).toEqual([
      ["index", "nginx", undefined],
      ["create", "app", "a1"],
    ]);
    expect(actions[0]!.item).toEqual({
      ok: true,
      input: {
        service: "nginx",
        level: "WARNING",
        message: "GET /",
        timestamp: Date.parse(TS),
        attributes: {},
      },
    });
    expect(actions[1]!.item).toMatchObject({ ok: true, input: { service: "payments", level: "ERROR" } });
  });

  test("_type, pipeline, routing and unknown metadata tolerated; blank lines and CRLF skipped; the path's index is the default", () => {
    const body =
      '\r\n{"index":{"_type":"_doc","pipeline":"p","routing":"r","whatever":1}}\r\n\r\n' +
      '{"message":"one"}\r\n\n{"create":{}}\n{"message":"two"}';
    const actions = decode(body, { index: "from-path" });
    expect(actions.map((a) => [a.index, a.item.ok && a.item.input.message])).toEqual([
      ["from-path", "one"],
      ["from-path", "two"],
    ]);
  });

  test("an _id keys the event id: the same request decoded and accepted twice gives the same ids", () => {
    const body = ndjson(
      { index: { _index: "logs", _id: "x-1" } },
      { "@timestamp": TS, message: "m" },
      { index: { _index: "logs" } },
      { "@timestamp": TS, message: "m" },
    );
    const ids = () =>
      acceptItems(
        decode(body).map((a) => a.item),
        NOW,
        DEFAULT_EVENT_LIMITS,
      ).events.map((e) => e.id);
    const [first, second] = [ids(), ids()];
    expect(first[0]).toBe(second[0]!);
    expect(first[1]).not.toBe(second[1]!);
    expect(timeOfId(first[0]!)).toBe(Date.parse(TS));
    // The same _id in another index is another document.
    const other = decode(body.replace('"logs","_id"', '"other","_id"'));
    expect(acceptItems([other[0]!.item], NOW, DEFAULT_EVENT_LIMITS).events[0]!.id).not.toBe(first[0]!);
  });

  test("bad documents are refused one by one and the framing goes on", () => {
    const body = [
      '{"index":{}}',
      "{not json",
      '{"index":{}}',
      '["array"]',
      '{"update":{"_id":"1"}}',
      '{"doc":{"a":1}}',
      '{"delete":{"_id":"2"}}',
      `{"index":{"_id":"${"i".repeat(600)}"}}`,
      '{"message":"long id"}',
      '{"index":{}}',
      '{"message":"fine"}',
      '{"create":{}}',
    ].join("\n");
    const actions = decode(body);
    expect(actions.map((a) => (a.item.ok ? "ok" : a.item.error))).toEqual([
      "line 2: the document is not valid JSON",
      "line 4: the document must be a JSON object",
      "update is not supported: LogFlow stores logs append-only",
      "delete is not supported: LogFlow keeps logs until retention drops them",
      "_id is longer than 512 bytes",
      "ok",
      "the create action on line 12 has no document after it",
    ]);
  });

  test("a document without a message field keeps its whole text as the message", () => {
    const [a] = decode(ndjson({ index: { _index: "metrics" } }, { cpu: 0.5, host: "h" }));
    expect(a!.item).toMatchObject({ ok: true, input: { message: '{"cpu":0.5,"host":"h"}', host: "h" } });
  });

  test("a line that is not an action fails the whole request, naming the line", () => {
    for (const [body, reason] of [
      ['{"message":"no action"}\n{"a":1}\n', 'line 1: unknown action "message"'],
      ['{"index":{}}\n{"m":1}\n{"bogus":{}}\n', 'line 3: unknown action "bogus"'],
      ['{"index":{},"create":{}}\n', 'line 1: unknown action "index,create"'],
      ['{"index":"x"}\n', "line 1: the index action's metadata must be an object"],
      ["nope\n", "line 1: expected an action"],
      ["[1]\n", "line 1: expected an action object"],
    ] as const) {
      const r = decodeBulk(body, OPTIONS);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toStartWith(reason);
    }
  });

  test("more actions than allowed is refused before decoding them all", () => {
    const body = ndjson({ index: {} }, { message: "a" }).repeat(11);
    const r = decodeBulk(body, { ...OPTIONS, maxEvents: 10 });
    expect(r).toEqual({
      ok: false,
      code: "PAYLOAD_TOO_LARGE",
      error: "more than 10 actions in one bulk request; send smaller batches",
    });
  });

  test("hostile bodies: NUL bytes, deep nesting, a huge line, empty", () => {
    expect(decode("")).toEqual([]);
    expect(decode("\n\n  \n")).toEqual([]);
    // Escaped NULs are JSON (the store writes around them); a raw one is not, and only its document fails.
    const nul = decode(
      '{"index":{}}\n{"message":"a\\u0000b","k\\u0000":1}\n{"index":{}}\n{"message":"\u0000"}\n',
    );
    expect(nul.map((a) => a.item.ok)).toEqual([true, false]);
    const deep = `{"index":{}}\n{"message":"m","x":${"[".repeat(200_000)}${"]".repeat(200_000)}}\n`;
    const [d] = decode(deep);
    expect(d!.item).toMatchObject({ ok: true, input: { message: "m" } });
    const huge = decode(`{"index":{}}\n{"message":"${"x".repeat(5_000_000)}"}\n`);
    expect(huge[0]!.item.ok && huge[0]!.item.input.message.length).toBe(DEFAULT_EVENT_LIMITS.maxMessageChars);
  });
});

describe("bulkAnswer", () => {
  const body = ndjson(
    { index: { _index: "a", _id: "given" } },
    { message: "ok", "@timestamp": TS },
    { create: { _index: "a" } },
    { message: "too old", "@timestamp": "2020-01-01T00:00:00Z" },
    { delete: { _index: "a", _id: "d" } },
    { index: { _index: "a" } },
    { message: "ok too" },
  );

  test("Elasticsearch's shape: per item status, the client's _id or the event id, errors when any failed", () => {
    const actions = decode(body);
    const { outcomes, events } = acceptItems(
      actions.map((a) => a.item),
      NOW,
      DEFAULT_EVENT_LIMITS,
    );
    const answer = bulkAnswer(actions, outcomes, 12.4);
    expect(answer.took).toBe(12);
    expect(answer.errors).toBe(true);
    expect(answer.items[0]).toEqual({
      index: {
        _index: "a",
        _id: "given",
        _version: 1,
        result: "created",
        _shards: { total: 1, successful: 1, failed: 0 },
        _seq_no: 0,
        _primary_term: 1,
        status: 201,
      },
    });
    expect(answer.items[1]).toEqual({
      create: {
        _index: "a",
        _id: null,
        status: 400,
        error: {
          type: "document_parsing_exception",
          reason: "timestamp: older than the retention period (30 days)",
        },
      },
    });
    expect(answer.items[2]?.delete).toMatchObject({
      status: 400,
      error: { type: "illegal_argument_exception" },
    });
    expect(answer.items[3]?.index).toMatchObject({ status: 201, _id: events[1]!.id });
    const allGood = bulkAnswer([actions[0]!], [outcomes[0]!], 1);
    expect(allGood.errors).toBe(false);
  });

  test("when valid documents were not stored, they fail with that status and the invalid ones with 400", () => {
    const actions = decode(body);
    const { outcomes } = acceptItems(
      actions.map((a) => a.item),
      NOW,
      DEFAULT_EVENT_LIMITS,
    );
    const full = { status: 429, type: "es_rejected_execution_exception", reason: "queue full" };
    const answer = bulkAnswer(actions, outcomes, 0, full);
    expect(answer.items.map((i) => Object.values(i)[0]!.status)).toEqual([429, 400, 400, 429]);
    expect(answer.items[0]?.index?.error).toEqual({
      type: "es_rejected_execution_exception",
      reason: "queue full",
    });
  });

  test("esErrorBody is the shape clients read for a refused request", () => {
    expect(esErrorBody(400, "illegal_argument_exception", "bad")).toEqual({
      error: {
        root_cause: [{ type: "illegal_argument_exception", reason: "bad" }],
        type: "illegal_argument_exception",
        reason: "bad",
      },
      status: 400,
    });
  });
});
