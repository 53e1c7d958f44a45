import { afterEach, describe, expect, test } from "bun:test";
import { integrationTimeouts } from "../../tests/helpers/timeouts.ts";
import { type IngestStub, startIngestStub } from "./ingest-stub.ts";
import { createSender, login, parseRetryAfter, SendError, sendBatch } from "./sender.ts";
import { createTraffic } from "./traffic.ts";

integrationTimeouts();

let stub: IngestStub;
afterEach(async () => {
  await stub?.stop();
});

const events = (n: number, seed = 1) => createTraffic({ seed, rate: 100 }).batch(n);

/** A sleep that records what it was asked to wait, and does not wait. */
function recordingSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

describe("login", () => {
  test("returns the bearer token", async () => {
    stub = startIngestStub();
    expect(await login(stub.url, "admin", "admin123")).toBe("tok-1");
  });

  test("fails with the server's reason on bad credentials, without retrying", async () => {
    stub = startIngestStub();
    const err = await login(stub.url, "admin", "wrong").catch((e) => e);
    expect(err).toBeInstanceOf(SendError);
    expect(err.status).toBe(401);
    expect(err.message).toContain("Invalid credentials");
    expect(stub.loginCalls).toBe(1);
  });

  test("names the URL when the server cannot be reached", async () => {
    stub = startIngestStub();
    const url = stub.url;
    await stub.stop();
    const err = await login(url, "admin", "admin123").catch((e) => e);
    expect(err).toBeInstanceOf(SendError);
    expect(err.message).toContain(`cannot reach ${url}/api/v1/auth/login`);
  });
});

describe("sendBatch", () => {
  test("posts a JSON array and returns the server's counts", async () => {
    stub = startIngestStub();
    const token = await login(stub.url, "admin", "admin123");
    const batch = [...events(40), { service: "x", message: "" }, { message: "no service" }];
    const result = await sendBatch(`${stub.url}/`, token, batch);
    expect(result).toMatchObject({ sent: 42, accepted: 40, rejected: 2, requests: 1, retries: 0, token });
    expect(result.errors.map((e) => e.index)).toEqual([40, 41]);
    expect(stub.batches).toHaveLength(1);
    expect(stub.batches[0]).toHaveLength(42);
  });

  test("on 503 it waits for Retry-After and retries, counting the events once", async () => {
    stub = startIngestStub();
    const token = await login(stub.url, "admin", "admin123");
    stub.script({ status: 503, headers: { "Retry-After": "1" }, body: { detail: "Ingest queue is full" } });
    const started = performance.now();
    const retries: (number | null)[] = [];
    const result = await sendBatch(stub.url, token, events(25), { onRetry: (r) => retries.push(r.status) });
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(result).toMatchObject({ sent: 25, accepted: 25, rejected: 0, requests: 2, retries: 1 });
    expect(retries).toEqual([503]);
    expect(stub.ingestCalls).toBe(2);
    expect(stub.batches).toHaveLength(1);
  });

  test("honours Retry-After given as an HTTP date, and backs off without one", async () => {
    stub = startIngestStub();
    const token = await login(stub.url, "admin", "admin123");
    const { waits, sleep } = recordingSleep();
    stub.script(
      { status: 503, headers: { "Retry-After": new Date(Date.now() + 3_000).toUTCString() } },
      { status: 429, headers: { "Retry-After": "2" } },
      { status: 502 },
      { status: 504 },
    );
    const result = await sendBatch(stub.url, token, events(5), { sleep, baseDelayMs: 100 });
    expect(result).toMatchObject({ accepted: 5, requests: 5, retries: 4 });
    expect(waits[0]).toBeWithin(1_000, 3_001);
    expect(waits[1]).toBe(2_000);
    expect(waits[2]).toBeLessThanOrEqual(400);
    expect(waits[3]).toBeLessThanOrEqual(800);
  });

  test("gives up after maxAttempts and says so", async () => {
    stub = startIngestStub();
    const token = await login(stub.url, "admin", "admin123");
    const { waits, sleep } = recordingSleep();
    stub.script(...Array.from({ length: 5 }, () => ({ status: 503, headers: { "Retry-After": "120" } })));
    const err = await sendBatch(stub.url, token, events(3), {
      sleep,
      maxAttempts: 3,
      maxDelayMs: 5_000,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(SendError);
    expect(err.status).toBe(503);
    expect(err.message).toContain("gave up after 3 attempts");
    expect(stub.ingestCalls).toBe(3);
    expect(waits).toEqual([5_000, 5_000]);
  });

  test("on 401 it logs in again once and resends", async () => {
    stub = startIngestStub();
    const token = await login(stub.url, "admin", "admin123");
    stub.revokeTokens();
    const result = await sendBatch(stub.url, token, events(10), {
      relogin: () => login(stub.url, "admin", "admin123"),
    });
    expect(result).toMatchObject({ accepted: 10, token: "tok-2", requests: 2, retries: 0 });
    expect(stub.loginCalls).toBe(2);
  });

  test("a second 401 after the re-login fails instead of looping", async () => {
    stub = startIngestStub();
    stub.script({ status: 401 }, { status: 401 });
    const err = await sendBatch(stub.url, "tok-x", events(2), {
      relogin: () => login(stub.url, "admin", "admin123"),
    }).catch((e) => e);
    expect(err).toBeInstanceOf(SendError);
    expect(err.status).toBe(401);
    expect(stub.loginCalls).toBe(1);
  });

  test("a client error is not retried", async () => {
    stub = startIngestStub();
    stub.script({
      status: 400,
      body: { title: "Malformed JSON", detail: "unexpected end", code: "INVALID_JSON" },
    });
    const err = await sendBatch(stub.url, "t", events(2)).catch((e) => e);
    expect(err.message).toBe("ingest answered 400: INVALID_JSON: unexpected end");
    expect(stub.ingestCalls).toBe(1);
  });

  test("a batch over the server's size limit is split, with rejected indexes mapped back", async () => {
    stub = startIngestStub({ maxEvents: 100 });
    const token = await login(stub.url, "admin", "admin123");
    const batch: unknown[] = events(350);
    batch[300] = { service: "bad" };
    const result = await sendBatch(stub.url, token, batch);
    expect(result).toMatchObject({ sent: 350, accepted: 349, rejected: 1 });
    expect(result.errors).toEqual([{ index: 300, error: "message: is required" }]);
    expect(stub.batches.map((b) => b.length).reduce((a, b) => a + b)).toBe(350);
    expect(Math.max(...stub.batches.map((b) => b.length))).toBeLessThanOrEqual(100);
  });

  test("network errors are retried with backoff", async () => {
    stub = startIngestStub();
    const { waits, sleep } = recordingSleep();
    let calls = 0;
    const flaky = async (input: string, init: RequestInit) => {
      if (++calls <= 2) throw new TypeError("connection refused");
      return fetch(input, init);
    };
    const token = await login(stub.url, "admin", "admin123");
    const result = await sendBatch(stub.url, token, events(4), { fetch: flaky, sleep });
    expect(result).toMatchObject({ accepted: 4, requests: 3, retries: 2 });
    expect(waits).toHaveLength(2);
  });
});

describe("createSender", () => {
  test("logs in lazily, keeps totals across batches and survives a 503 and an expired token", async () => {
    stub = startIngestStub();
    const sender = createSender({
      baseUrl: stub.url,
      username: "admin",
      password: "admin123",
      sleep: async () => {},
    });
    expect(stub.loginCalls).toBe(0);
    await sender.send(events(100, 1));
    stub.script({ status: 503, headers: { "Retry-After": "0" } });
    await sender.send(events(100, 2));
    stub.revokeTokens();
    await sender.send([...events(50, 3), { service: "x", message: "" }]);
    await sender.send([]);
    expect(sender.totals).toMatchObject({ batches: 3, sent: 251, accepted: 250, rejected: 1, retries: 1 });
    expect(sender.totals.sampleErrors).toHaveLength(1);
    expect(sender.totals.sampleErrors[0]).toStartWith("message:");
    expect(stub.loginCalls).toBe(2);
  });
});

test("parseRetryAfter reads seconds and HTTP dates", () => {
  expect(parseRetryAfter("5")).toBe(5_000);
  expect(parseRetryAfter(null)).toBeNull();
  expect(parseRetryAfter("soon")).toBeNull();
  expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:10 GMT", Date.UTC(2015, 9, 21, 7, 28, 0))).toBe(10_000);
  expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:10 GMT", Date.UTC(2016, 0, 1))).toBe(0);
});
