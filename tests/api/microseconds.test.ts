/**
 * Timestamps keep their microseconds (issue 18) through ingest (native JSON, plain lines, OTLP and Loki
 * nanoseconds) and every read: search, one log, context and export. The API answers three fractional
 * digits, or six when the time has microseconds. PGlite by default, Postgres with LOGFLOW_TEST_DB=postgres
 * (the search-engine store holds to the same in the LogStore conformance suite).
 */
import { describe, expect, test } from "bun:test";
import { freshService, ingest, suiteApp } from "../helpers/app.ts";
import { pb } from "../helpers/protobuf-encoder.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

const t = suiteApp();
type Log = { id: string; timestamp: string; message: string };

// A whole second ten minutes ago, as ISO text without its fraction: `${second}.123456Z`.
const second = new Date(Math.floor((Date.now() - 10 * 60_000) / 1000) * 1000).toISOString().slice(0, 19);
const secondNs = BigInt(Date.parse(`${second}Z`)) * 1_000_000n;

async function search(service: string): Promise<Log[]> {
  const res = await t.request(`/api/v1/logs/search?service=${service}&limit=100`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { logs: Log[] }).logs;
}

describe("microseconds from ingest to every read", () => {
  test("an event sent at .123456 comes back with .123456 from search, get, context and export", async () => {
    const service = freshService("micros");
    const stamp = `${second}.123456Z`;
    // Sent newest first: the ids (arrival order) run against the times, which must win.
    const res = await ingest(t, [
      { service, message: "after", timestamp: `${second}.123789Z` },
      { service, message: "the hit", timestamp: stamp },
      { service, message: "before", timestamp: `${second}.123Z` },
    ]);
    expect(res.status).toBe(200);

    const logs = await search(service);
    expect(logs.map((l) => [l.message, l.timestamp])).toEqual([
      ["after", `${second}.123789Z`],
      ["the hit", stamp],
      // No microseconds: three digits, as before.
      ["before", `${second}.123Z`],
    ]);
    const hit = logs[1]!;
    expect(((await (await t.request(`/api/v1/logs/${hit.id}`)).json()) as Log).timestamp).toBe(stamp);

    const ctx = (await (await t.request(`/api/v1/logs/${hit.id}/context?before=5&after=5`)).json()) as {
      log: Log;
      before: Log[];
      after: Log[];
    };
    expect(ctx.log.timestamp).toBe(stamp);
    expect(ctx.before.map((l) => l.message)).toEqual(["before"]);
    expect(ctx.after.map((l) => [l.message, l.timestamp])).toEqual([["after", `${second}.123789Z`]]);

    const ndjson = await (await t.request(`/api/v1/logs/export?service=${service}&format=ndjson`)).text();
    expect(
      ndjson
        .trim()
        .split("\n")
        .map((l) => (JSON.parse(l) as Log).timestamp),
    ).toEqual(logs.map((l) => l.timestamp));
    const csv = await (await t.request(`/api/v1/logs/export?service=${service}&format=csv`)).text();
    expect(csv).toContain(stamp);
  });

  test("within one millisecond, events are ordered by their microseconds, not by arrival", async () => {
    const service = freshService("micro-order");
    const sent = ["900", "100", "500", "499"].map((us) => ({
      service,
      message: `at ${us}`,
      timestamp: `${second}.456${us}Z`,
    }));
    expect((await ingest(t, sent)).status).toBe(200);
    expect((await search(service)).map((l) => l.message)).toEqual(["at 900", "at 500", "at 499", "at 100"]);
  });

  test("epoch microseconds and nanoseconds, and plain lines, keep the microseconds", async () => {
    const service = freshService("micro-epoch");
    const us = (secondNs / 1000n + 654_321n).toString();
    const ns = (secondNs + 654_322_999n).toString();
    expect((await ingest(t, [{ service, message: "µs", timestamp: Number(us) }])).status).toBe(200);
    expect((await ingest(t, [{ service, message: "ns", timestamp: ns }])).status).toBe(200);
    const line = `${second}.654323Z ERROR plain line`;
    const plain = await t.request(`/api/v1/ingest?service=${service}`, {
      method: "POST",
      headers: { "content-type": "text/plain", authorization: `Bearer ${t.adminToken}` },
      body: line,
    });
    expect(plain.status).toBe(200);
    const byMessage = Object.fromEntries((await search(service)).map((l) => [l.message, l.timestamp]));
    expect(byMessage.µs).toBe(`${second}.654321Z`);
    // Nanoseconds below the microsecond are cut.
    expect(byMessage.ns).toBe(`${second}.654322Z`);
    expect(byMessage[line]).toBe(`${second}.654323Z`);
  });

  test("OTLP timeUnixNano (JSON and protobuf) and Loki nanoseconds keep the microseconds", async () => {
    const service = freshService("micro-otlp");
    const nanos = (us: number) => (secondNs + BigInt(us) * 1000n + 999n).toString();
    const otlpJson = {
      resourceLogs: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] },
          scopeLogs: [{ logRecords: [{ timeUnixNano: nanos(111_111), body: { stringValue: "otlp json" } }] }],
        },
      ],
    };
    const auth = { authorization: `Bearer ${t.adminToken}` };
    const json = await t.request("/v1/logs", {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify(otlpJson),
    });
    expect(json.status).toBe(200);
    const proto = await t.request("/v1/logs", {
      method: "POST",
      headers: { "content-type": "application/x-protobuf", ...auth },
      // ExportLogsServiceRequest > ResourceLogs (resource's service.name) > ScopeLogs > LogRecord.
      body: new Uint8Array(
        pb.len(1, [
          ...pb.len(1, pb.len(1, [...pb.str(1, "service.name"), ...pb.len(2, pb.str(1, service))])),
          ...pb.len(
            2,
            pb.len(2, [...pb.fixed64(1, BigInt(nanos(222_222))), ...pb.len(5, pb.str(1, "otlp protobuf"))]),
          ),
        ]),
      ),
    });
    expect(proto.status).toBe(200);
    const loki = await t.request("/loki/api/v1/push", {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify({
        streams: [{ stream: { service_name: service }, values: [[nanos(333_333), "loki"]] }],
      }),
    });
    expect(loki.status).toBeLessThan(300);
    const byMessage = Object.fromEntries((await search(service)).map((l) => [l.message, l.timestamp]));
    expect(byMessage).toEqual({
      "otlp json": `${second}.111111Z`,
      "otlp protobuf": `${second}.222222Z`,
      loki: `${second}.333333Z`,
    });
  });
});
