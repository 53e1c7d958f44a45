import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { LogEvent } from "../../core/log-event.ts";
import { setTransport } from "../../web/src/data/api.ts";
import { openTail, SseParser, type TailState } from "../../web/src/data/tail.ts";
import { freshService, ingest, startTestApp, type TestApp } from "../helpers/app.ts";
import { readSse } from "../helpers/sse.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

describe("SseParser, as EventSource reads a stream", () => {
  test("data lines join with newlines; a block dispatches at a blank line; CRLF, LF and CR all end lines", () => {
    const p = new SseParser();
    expect(p.push("data: a\r\ndata:b\rid: 7\n\n: note\n")).toEqual([
      { type: "message", event: "message", data: "a\nb", lastEventId: "7" },
      { type: "comment", text: "note" },
    ]);
  });

  test("a line split across chunks, a CRLF split between them, and a multi-byte character split in two", () => {
    const p = new SseParser();
    const bytes = new TextEncoder().encode("data: caf\u00e9\r\n\r\n");
    const cut = bytes.indexOf(0xa9); // the second byte of é
    expect(p.push(bytes.slice(0, cut))).toEqual([]);
    expect(p.push(bytes.slice(cut, bytes.length - 3))).toEqual([]);
    expect(p.push(bytes.slice(bytes.length - 3, bytes.length - 1))).toEqual([]);
    expect(p.push(bytes.slice(bytes.length - 1))).toEqual([
      { type: "message", event: "message", data: "caf\u00e9", lastEventId: "" },
    ]);
  });

  test("an id with no data moves the last event id without an event; retry sets the delay; a half block is not dispatched", () => {
    const p = new SseParser("start");
    expect(p.push("retry: 1500\nid: 42\n\nid: 43\ndata: x")).toEqual([]);
    expect(p.lastEventId).toBe("42");
    expect(p.retryMs).toBe(1500);
    expect(p.push("\n\n")).toEqual([{ type: "message", event: "message", data: "x", lastEventId: "43" }]);
  });
});

describe("openTail: the dashboard's live tail over fetch", () => {
  let t: TestApp;
  beforeAll(async () => {
    // Streams end every second, so that every test crosses reconnects; three tails per caller.
    t = await startTestApp({
      TAIL_POLL_MS: "50",
      TAIL_HEARTBEAT_SECONDS: "1",
      TAIL_MAX_SECONDS: "1",
      TAIL_MAX_PER_USER: "3",
    });
    setTransport((path, init) => t.request(path, init));
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  const send = async (service: string, message: string, ageMs = 0) => {
    const res = await ingest(t, { service, message, timestamp: new Date(Date.now() - ageMs).toISOString() });
    expect(res.status).toBe(200);
  };

  async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
      await Bun.sleep(20);
    }
  }

  test("follows new events across the streams the server ends, each once and in order, late ones too", async () => {
    const service = freshService("client");
    const got: LogEvent[] = [];
    const states: TailState["status"][] = [];
    const tail = openTail({
      query: `service:${service}`,
      onEvent: (e) => got.push(e),
      onState: (s) => states.push(s.status),
    });
    await until(() => states.includes("live"));
    const sent: string[] = [];
    // Spread over more than three stream lifetimes, so that some are shipped between two streams.
    for (let i = 0; i < 12; i++) {
      const message = `line ${i}`;
      sent.push(message);
      await send(service, message, i % 4 === 3 ? 7_200_000 : 0);
      await Bun.sleep(300);
    }
    await until(() => got.length >= sent.length);
    await Bun.sleep(500);
    tail.close();
    expect(got.map((e) => e.message)).toEqual(sent);
    expect(states.filter((s) => s === "waiting").length).toBeGreaterThanOrEqual(2);
  });

  test("a kept lastEventId resumes a new tail just after it (a page reload)", async () => {
    const service = freshService("reload");
    const got: string[] = [];
    const first = openTail({ query: `service:${service}`, onEvent: (e) => got.push(e.message) });
    await send(service, "seen before the reload");
    await until(() => got.length === 1);
    const kept = first.lastEventId;
    first.close();
    await send(service, "shipped during the reload", 3_600_000);
    const after: string[] = [];
    const second = openTail({
      query: `service:${service}`,
      lastEventId: kept,
      onEvent: (e) => after.push(e.message),
    });
    await send(service, "shipped after");
    await until(() => after.length >= 2);
    await Bun.sleep(300);
    second.close();
    expect(after).toEqual(["shipped during the reload", "shipped after"]);
  });

  test("a query that does not parse stops the tail with the API's reason", async () => {
    let stopped: TailState | undefined;
    const tail = openTail({
      query: "(unclosed",
      onEvent: () => {},
      onState: (s) => {
        if (s.status === "stopped") stopped = s;
      },
    });
    await until(() => stopped !== undefined);
    tail.close();
    expect(stopped).toMatchObject({ status: "stopped", error: { status: 400, code: "BAD_REQUEST" } });
  });

  test("refused for too many tails, it waits as Retry-After says and follows once a slot is free", async () => {
    const service = freshService("cap");
    const others = await Promise.all(
      [0, 1, 2].map(async () => readSse(await t.request(`/api/v1/logs/tail?query=service:${service}-x`))),
    );
    const states: TailState[] = [];
    const got: string[] = [];
    const tail = openTail({
      query: `service:${service}`,
      onEvent: (e) => got.push(e.message),
      onState: (s) => states.push(s),
    });
    await until(() => states.some((s) => s.status === "waiting" && s.error?.status === 429));
    const waiting = states.find((s) => s.status === "waiting" && s.error?.status === 429);
    expect(waiting).toMatchObject({ retryInMs: 2_000 });
    for (const o of others) await o.close();
    await until(() => states.at(-1)?.status === "live");
    await send(service, "after a slot freed");
    await until(() => got.length === 1);
    tail.close();
    expect(got).toEqual(["after a slot freed"]);
  });
});
