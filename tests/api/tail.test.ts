import { describe, expect, test } from "bun:test";
import { freshService, ingest, startTestApp, suiteApp, type TestApp } from "../helpers/app.ts";
import { OPENSEARCH_TEST_URL, opensearchReachable } from "../helpers/engines.ts";
import { messagesOf, readSse, type SseSession } from "../helpers/sse.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

// Throws when LOGFLOW_REQUIRE_ENGINES names opensearch and it is absent, so CI cannot skip.
const withOpenSearch = await opensearchReachable();

// Reads every 50 ms; a keepalive after 1 s of silence; two tails per caller.
const t = suiteApp({ TAIL_POLL_MS: "50", TAIL_HEARTBEAT_SECONDS: "1", TAIL_MAX_PER_USER: "2" });

const HOUR = 3_600_000;

async function openTail(
  app: TestApp,
  query: string,
  init: { headers?: Record<string, string>; params?: Record<string, string> } = {},
): Promise<SseSession> {
  const params = new URLSearchParams({ query, ...init.params });
  const res = await app.request(`/api/v1/logs/tail?${params}`, { headers: init.headers ?? {} });
  if (res.status !== 200) throw new Error(`tail answered ${res.status}: ${await res.text()}`);
  const s = readSse(res);
  // The opening block: the reconnect delay and the position the tail starts at.
  await s.until((x) => x.lastEventId !== "");
  return s;
}

async function send(service: string, message: string, ageMs = 0): Promise<void> {
  const res = await ingest(t, { service, message, timestamp: new Date(Date.now() - ageMs).toISOString() });
  expect(res.status).toBe(200);
}

const count = (n: number) => (s: SseSession) => s.events().length >= n;

describe("GET /api/v1/logs/tail", () => {
  test("streams each new matching event once, in arrival order: a late timestamp comes when it arrives", async () => {
    const service = freshService("tail");
    const s = await openTail(t, `service:${service}`);
    await send(service, "first");
    await send(service, "two hours late", 2 * HOUR);
    await send(freshService("other"), "not mine");
    await send(service, "third");
    await s.until(count(3));
    await s.close();
    expect(messagesOf(s)).toEqual(["first", "two hours late", "third"]);
    const ids = s.events().map((e) => e.id);
    expect(ids).toEqual(ids.toSorted());
    expect(new Set(ids).size).toBe(3);
    expect(s.retryMs).toBeGreaterThan(0);
  });

  test("answers text/event-stream that no cache or proxy may transform or hold back", async () => {
    const res = await t.request(`/api/v1/logs/tail?query=service:${freshService("h")}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store, no-transform");
    expect(res.headers.get("x-accel-buffering")).toBe("no");
    expect(res.headers.get("content-encoding")).toBeNull();
    await readSse(res).close();
  });

  test("an event the query does not match is left out: fields, words and negation as in search", async () => {
    const service = freshService("q");
    const s = await openTail(t, `service:${service} level:error -timeout`);
    for (const [level, message] of [
      ["INFO", "fine"],
      ["ERROR", "card declined"],
      ["ERROR", "upstream timeout"],
      ["ERROR", "disk full"],
    ] as const) {
      expect((await ingest(t, { service, level, message })).status).toBe(200);
    }
    await s.until(count(2));
    await s.close();
    expect(messagesOf(s)).toEqual(["card declined", "disk full"]);
  });

  test("resumes just after the Last-Event-ID sent: nothing missed, nothing repeated, late events included", async () => {
    const service = freshService("resume");
    const first = await openTail(t, `service:${service}`);
    await send(service, "before the drop");
    await first.until(count(1));
    const resumeAt = first.lastEventId;
    await first.close();

    // While no tail is open: one line hours late, one on time.
    await send(service, "late, while away", 3 * HOUR);
    await send(service, "on time, while away");

    const second = await openTail(t, `service:${service}`, { headers: { "Last-Event-ID": resumeAt } });
    await send(service, "after the reconnect");
    await second.until(count(3));
    await second.close();
    expect(messagesOf(second)).toEqual(["late, while away", "on time, while away", "after the reconnect"]);
  });

  test("a tail dropped before any event resumes from the position it was opened at", async () => {
    const service = freshService("early");
    const first = await openTail(t, `service:${service}`);
    const opened = first.lastEventId;
    await first.close();
    await send(service, "sent after the first open");
    // The parameter, for a client that cannot send the header (a new EventSource).
    const second = await openTail(t, `service:${service}`, { params: { last_event_id: opened } });
    await second.until(count(1));
    await second.close();
    expect(messagesOf(second)).toEqual(["sent after the first open"]);
  });

  test("the Last-Event-ID header wins over the parameter (EventSource resends the first URL)", async () => {
    const service = freshService("both");
    const first = await openTail(t, `service:${service}`);
    const old = first.lastEventId;
    await send(service, "one");
    await first.until(count(1));
    const newer = first.lastEventId;
    await first.close();
    await send(service, "two");
    const second = await openTail(t, `service:${service}`, {
      headers: { "Last-Event-ID": newer },
      params: { last_event_id: old },
    });
    await second.until(count(1));
    await new Promise((r) => setTimeout(r, 300));
    await second.close();
    expect(messagesOf(second)).toEqual(["two"]);
  });

  test("a keepalive comment comes after the heartbeat interval, moving the resume point past what did not match", async () => {
    const service = freshService("quiet");
    const s = await openTail(t, `service:${service}`);
    const opened = s.lastEventId;
    await send(freshService("noise"), "someone else's line");
    await s.until((x) => x.items.some((i) => i.type === "comment" && i.text === "keepalive"), 5_000);
    await s.until((x) => x.lastEventId > opened, 5_000);
    await s.close();
    expect(s.events()).toEqual([]);
  });
});

describe("refusals", () => {
  test("a query that does not parse is a 400 naming the position", async () => {
    const res = await t.request(`/api/v1/logs/tail?query=${encodeURIComponent("(service:a")}`);
    expect(res.status).toBe(400);
    const p = (await res.json()) as { code: string; errors: { field: string; position: number }[] };
    expect(p.code).toBe("BAD_REQUEST");
    expect(p.errors[0]).toMatchObject({ field: "query", position: 10 });
  });

  test("an unknown parameter is a 400 naming it", async () => {
    const res = await t.request("/api/v1/logs/tail?qeury=oops");
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("qeury");
  });

  test("a Last-Event-ID this server did not send is a 400, not a silent restart", async () => {
    const res = await t.request("/api/v1/logs/tail", {
      headers: { "Last-Event-ID": "2026-11-29T10:00:00Z" },
    });
    expect(res.status).toBe(400);
    const p = (await res.json()) as { errors: { field: string }[] };
    expect(p.errors[0]?.field).toBe("Last-Event-ID");
  });

  test("each caller may hold TAIL_MAX_PER_USER tails: a 429 beyond, a slot again once one closes", async () => {
    const me = { authorization: `Bearer ${t.adminToken}` };
    const query = `service:${freshService("cap")}`;
    const a = await openTail(t, query, { headers: me });
    const b = await openTail(t, query, { headers: me });
    const refused = await t.request(`/api/v1/logs/tail?query=${query}`, { headers: me });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(((await refused.json()) as { detail: string }).detail).toContain("At most 2 live tails");
    // Someone else (here: anonymous, by address) has slots of their own.
    const other = await openTail(t, query);
    await other.close();
    await a.close();
    const c = await openTail(t, query, { headers: me });
    await Promise.all([b.close(), c.close()]);
  });

  test("a reconnect naming the last id of one of the caller's streams takes that stream's slot", async () => {
    const me = { authorization: `Bearer ${t.adminToken}` };
    const service = freshService("takeover");
    const a = await openTail(t, `service:${service}`, { headers: me });
    const b = await openTail(t, `service:${service}`, { headers: me });
    await send(service, "seen by both");
    await a.until(count(1));
    // `a`'s client went away without the server noticing; it comes back with its last id.
    const again = await openTail(t, `service:${service}`, {
      headers: { ...me, "Last-Event-ID": a.lastEventId },
    });
    await a.until((x) => x.ended);
    await send(service, "after the takeover");
    await again.until(count(1));
    expect(messagesOf(again)).toEqual(["after the takeover"]);
    await Promise.all([b.close(), again.close()]);
  });
});

describe.skipIf(!withOpenSearch)("with OpenSearch as the log store", () => {
  test("the tail answers 503 saying which store it needs, instead of a stream that could miss events", async () => {
    const prefix = `logflow-tail-${crypto.randomUUID().slice(0, 8)}`;
    const app = await startTestApp({ OPENSEARCH_URL: OPENSEARCH_TEST_URL, SEARCH_INDEX_PREFIX: prefix });
    try {
      const res = await app.request("/api/v1/logs/tail");
      expect(res.status).toBe(503);
      const p = (await res.json()) as { code: string; detail: string };
      expect(p.code).toBe("UNAVAILABLE");
      expect(p.detail).toContain("needs the Postgres log store");
    } finally {
      await app.close();
      // The store installed its index template at start; nothing else of it was written.
      await fetch(`${OPENSEARCH_TEST_URL}/_index_template/${prefix}`, { method: "DELETE" });
    }
  }, 60_000);
});
