import { describe, expect, test } from "bun:test";
import { Client, HttpConnection } from "@elastic/elasticsearch";
import { AppError } from "../../core/errors.ts";
import { freshService, startTestApp } from "../helpers/app.ts";
import { servedSuite, storedOf } from "../helpers/shippers.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

const s = servedSuite();

// The client's default (undici) connection fails under Bun before it sends anything; its node:http
// one is what works here (and what Node users get with `Connection: HttpConnection` too).
function client(path = "", auth: object = { apiKey: s.key() }, extra: object = {}) {
  return new Client({ node: `${s.url()}${path}`, auth, Connection: HttpConnection, ...extra } as never);
}

describe("Elasticsearch bulk with @elastic/elasticsearch", () => {
  test("helpers.bulk: 1,000 documents stored once each, the index as service, level and time mapped", async () => {
    const index = freshService("shop");
    const base = Date.now() - 60_000;
    const docs = Array.from({ length: 1_000 }, (_, i) => ({
      "@timestamp": new Date(base + i).toISOString(),
      message: `order ${i} shipped`,
      log: { level: i % 10 === 0 ? "error" : "info" },
      http: { status: 200 + (i % 3) },
    }));
    const stats = await client().helpers.bulk({
      datasource: docs,
      onDocument: () => ({ create: { _index: index } }),
      flushBytes: 30_000,
    });
    expect(stats).toMatchObject({ total: 1_000, successful: 1_000, failed: 0 });
    const stored = await storedOf(s.t, index);
    const byMessage = new Map(stored.map((e) => [e.message, e]));
    expect(stored.length).toBe(1_000);
    expect(byMessage.size).toBe(1_000);
    expect(byMessage.get("order 7 shipped")).toMatchObject({
      service: index,
      level: "INFO",
      timestamp: new Date(base + 7).toISOString(),
      attributes: { "http.status": 201 },
    });
    expect(byMessage.get("order 10 shipped")!.level).toBe("ERROR");
  });

  test("client.bulk: a partly bad request stores the good documents and answers each bad one in its item", async () => {
    const index = freshService("mixed");
    const res = await client().bulk({
      operations: [
        { index: { _index: index } },
        { message: "good one", level: "warn" },
        { index: { _index: index, _type: "_doc", pipeline: "none" } },
        { message: "too old", "@timestamp": "2001-01-01T00:00:00Z" },
        { update: { _index: index, _id: "x" } },
        { doc: { message: "changed" } },
        { create: { _index: index } },
        { msg: "good two", service: "named-by-field" },
      ],
    });
    expect(res.errors).toBe(true);
    expect(res.items.map((i) => Object.values(i)[0]!.status)).toEqual([201, 400, 400, 201]);
    expect(res.items[1]!.index!.error).toMatchObject({
      type: "document_parsing_exception",
      reason: "timestamp: older than the retention period (30 days)",
    });
    expect(res.items[2]!.update!.error!.reason).toContain("update is not supported");
    expect((await storedOf(s.t, index)).map((e) => [e.message, e.level])).toEqual([["good one", "WARNING"]]);
    expect((await storedOf(s.t, "named-by-field")).map((e) => e.message)).toContain("good two");
  });

  test("a replayed request with _id stores nothing twice", async () => {
    const index = freshService("replay");
    const at = new Date(Date.now() - 1_000).toISOString();
    const operations = Array.from({ length: 20 }, (_, i) => [
      { create: { _index: index, _id: `evt-${i}` } },
      { "@timestamp": at, message: `payment ${i} captured` },
    ]).flat();
    for (let round = 0; round < 2; round++) {
      const res = await client().bulk({ operations });
      expect(res.errors).toBe(false);
    }
    expect((await storedOf(s.t, index)).length).toBe(20);
  });

  test("under /api/v1/es, gzip-compressed, with ApiKey base64(id:key) and with Basic auth", async () => {
    const index = freshService("proxied");
    const viaApiKey = client(
      "/api/v1/es",
      { apiKey: { id: "vector", api_key: s.key() } },
      { compression: true },
    );
    const viaBasic = client("/api/v1/es", { username: "rsyslog", password: s.key() });
    for (const [i, c] of [viaApiKey, viaBasic].entries()) {
      const res = await c.bulk({ index, operations: [{ index: {} }, { message: `via client ${i}` }] });
      expect(res.errors).toBe(false);
    }
    expect((await storedOf(s.t, index)).map((e) => e.message).sort()).toEqual([
      "via client 0",
      "via client 1",
    ]);
    expect((await viaApiKey.info()).version.number).toMatch(/^8\./);
  });

  test("a full queue answers the documents 429 in their items; helpers.bulk retries them and all arrive", async () => {
    const index = freshService("overload");
    let refuse = 1;
    // An injected fault: the collector refuses the first request as a full queue does (503 + Retry-After).
    const url = s.serveWith((deps) => ({
      collect: (items, d, at) => {
        if (refuse-- > 0) {
          return Promise.reject(
            new AppError("UNAVAILABLE", "Ingest queue is full", { headers: { "Retry-After": "1" } }),
          );
        }
        return deps.collect(items, d, at);
      },
    }));
    const c = new Client({ node: url, auth: { apiKey: s.key() }, Connection: HttpConnection });
    const stats = await c.helpers.bulk({
      datasource: Array.from({ length: 10 }, (_, i) => ({ message: `retried ${i}` })),
      onDocument: () => ({ index: { _index: index } }),
      retries: 3,
      wait: 10,
    });
    expect(stats).toMatchObject({ total: 10, successful: 10, failed: 0 });
    expect((await storedOf(s.t, index)).length).toBe(10);
  });

  test("what clients call around bulk answers as Elasticsearch does, X-Elastic-Product on each", async () => {
    const c = client();
    expect(await c.ping()).toBe(true);
    expect((await c.info()).tagline).toBe("You Know, for Search");
    expect((await c.cluster.health()).status).toBe("green");
    expect(await c.cat.health({ format: "json" })).toHaveLength(1);
    expect(await c.indices.existsIndexTemplate({ name: "logs-x" })).toBe(false);
    expect(
      await c.indices.putIndexTemplate({ name: "logs-x", index_patterns: ["logs-*"], template: {} }),
    ).toEqual({ acknowledged: true });
    expect((await c.indices.refresh({ index: "anything" }))._shards?.failed).toBe(0);
    const nodes = await c.nodes.info({ metric: "http" });
    expect(Object.values(nodes.nodes)[0]!.http!.publish_address).toBe(new URL(s.url()).host);
    // A browser asking for / still gets the dashboard.
    const page = await fetch(`${s.url()}/`, { headers: { accept: "text/html" } });
    expect(page.headers.get("content-type")).toContain("text/html");
  });

  test("without credentials a 401, with a key lacking the ingest scope a 403, in Elasticsearch's shape", async () => {
    const none = await fetch(`${s.url()}/_bulk`, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body: '{"index":{}}\n{"message":"x"}\n',
    });
    expect(none.status).toBe(401);
    expect(none.headers.get("x-elastic-product")).toBe("Elasticsearch");
    expect(none.headers.get("www-authenticate")).toContain("Basic");
    expect(((await none.json()) as { error: { type: string } }).error.type).toBe("security_exception");

    const res = await s.t.request("/api/v1/api-keys", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${s.t.adminToken}` },
      body: JSON.stringify({ name: "reader", scopes: ["read"] }),
    });
    const reader = ((await res.json()) as { key: string }).key;
    const err = await client("", { apiKey: reader })
      .bulk({ operations: [{ index: { _index: "x" } }, { message: "x" }] })
      .catch((e: { meta: { statusCode: number } }) => e);
    expect((err as { meta: { statusCode: number } }).meta.statusCode).toBe(403);
  });

  test("with READ_ACCESS=authenticated an ingest key still does what an Elasticsearch client does first", async () => {
    const closed = await startTestApp({ READ_ACCESS: "authenticated" });
    try {
      const created = await closed.request("/api/v1/api-keys", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${closed.adminToken}` },
        body: JSON.stringify({ name: "filebeat", scopes: ["ingest"] }),
      });
      const key = ((await created.json()) as { key: string }).key;
      const auth = { authorization: `ApiKey ${key}` };
      for (const path of ["/", "/api/v1/es", "/api/v1/es/_cluster/health"]) {
        const res = await closed.request(path, { headers: auth });
        expect([path, res.status]).toEqual([path, 200]);
      }
      // Reads of logs still take a read scope.
      const bearer = { authorization: `Bearer ${key}` };
      expect((await closed.request("/api/v1/logs/recent", { headers: bearer })).status).toBe(403);
    } finally {
      await closed.close();
    }
  }, 120_000); // a second app of its own: slow to start on a loaded machine

  test("every content type the issue names is taken; another is a 415", async () => {
    const index = freshService("types");
    const types = [
      "application/json",
      "application/x-ndjson",
      "application/vnd.elasticsearch+x-ndjson; compatible-with=8",
      "application/vnd.elasticsearch+x-ndjson; compatible-with=9",
    ];
    for (const type of types) {
      const res = await fetch(`${s.url()}/${index}/_bulk`, {
        method: "POST",
        headers: { "content-type": type, authorization: `Bearer ${s.key()}` },
        body: `{"index":{}}\n\n{"message":"as ${type}"}\n`,
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { errors: boolean }).errors).toBe(false);
    }
    expect((await storedOf(s.t, index)).length).toBe(types.length);
    const xml = await fetch(`${s.url()}/_bulk`, {
      method: "POST",
      headers: { "content-type": "application/xml", authorization: `Bearer ${s.key()}` },
      body: "<x/>",
    });
    expect(xml.status).toBe(415);
  });
});
