import { describe, expect, test } from "bun:test";
import { pb } from "../../tests/helpers/protobuf-encoder.ts";
import { seededRandom } from "../anomaly/isolation-forest.ts";
import { DEFAULT_EVENT_LIMITS } from "../log-event.ts";
import type { DecodedItem } from "./decoded.ts";
import { otlpAnswerJson, otlpAnswerProtobuf, otlpStatusProtobuf } from "./otlp.ts";
import { decodeOtlpJson } from "./otlp-json.ts";
import { decodeOtlpProtobuf } from "./otlp-protobuf.ts";
import { ProtoReader } from "./protobuf.ts";

const OPTIONS = { limits: DEFAULT_EVENT_LIMITS, maxEvents: 1_000 };
const MS = 1_796_292_700_702;
const NS = BigInt(MS) * 1_000_000n + 123n;

const any = {
  str: (s: string) => pb.str(1, s),
  int: (n: number | bigint) => pb.uint(3, n),
  kvlist: (...kvs: number[][]) =>
    pb.len(
      6,
      kvs.flatMap((kv) => pb.len(1, kv)),
    ),
};
const kv = (key: string, value: number[]) => [...pb.str(1, key), ...pb.len(2, value)];

function record(parts: { body?: number[]; attrs?: number[][]; extra?: number[] } = {}): number[] {
  return [
    ...pb.fixed64(1, NS),
    ...pb.uint(2, 17),
    ...pb.str(3, "ERROR"),
    ...pb.len(5, parts.body ?? any.str("hello")),
    ...(parts.attrs ?? []).flatMap((a) => pb.len(6, a)),
    ...pb.len(
      9,
      Array.from({ length: 16 }, (_, i) => i + 1),
    ),
    ...pb.len(10, [0, 0, 0, 0, 0, 0, 0, 9]),
    ...(parts.extra ?? []),
  ];
}

function request(records: number[][], resourceFirst = true): Uint8Array {
  const resource = pb.len(1, pb.len(1, kv("service.name", any.str("svc"))));
  const scope = pb.len(2, [
    ...pb.len(1, [...pb.str(1, "lib"), ...pb.str(2, "1.0")]),
    ...records.flatMap((r) => pb.len(2, r)),
  ]);
  const rl = resourceFirst ? [...resource, ...scope] : [...scope, ...resource];
  return Uint8Array.from(pb.len(1, rl));
}

function items(bytes: Uint8Array): DecodedItem[] {
  const r = decodeOtlpProtobuf(bytes, OPTIONS);
  if (!r.ok) throw new Error(r.error);
  return r.items;
}

describe("decodeOtlpProtobuf", () => {
  test("every part of a record: time, severity, body, attributes, ids, resource, scope", () => {
    expect(items(request([record({ attrs: [kv("n", any.int(-5))] })]))).toEqual([
      {
        ok: true,
        input: {
          service: "svc",
          level: "ERROR",
          message: "hello",
          timestamp: MS,
          trace_id: "0102030405060708090a0b0c0d0e0f10",
          span_id: "0000000000000009",
          attributes: { n: -5, "otel.scope.name": "lib", "otel.scope.version": "1.0" },
        },
      },
    ]);
  });

  test("the resource may come after its scopes", () => {
    expect(items(request([record()], false))[0]).toMatchObject({ ok: true, input: { service: "svc" } });
  });

  test("observedTimeUnixNano when timeUnixNano is 0; no time at all leaves it to now", () => {
    const observed = [...pb.fixed64(11, NS), ...pb.len(5, any.str("m"))];
    expect(items(request([observed]))[0]).toMatchObject({ input: { timestamp: MS } });
    const none = items(request([[...pb.fixed64(1, 0n), ...pb.len(5, any.str("m"))]]))[0]!;
    expect(none.ok && none.input.timestamp).toBeUndefined();
  });

  test("a map body is the record's most specific fields; a JSON text body is read as an event", () => {
    const map = any.kvlist(kv("msg", any.str("from map")), kv("user", any.str("ann")));
    expect(items(request([record({ body: map })]))[0]).toMatchObject({
      input: { message: "from map", attributes: { user: "ann" } },
    });
    const json = any.str('{"message":"inner","level":"debug","k":1}');
    expect(items(request([record({ body: json })]))[0]).toMatchObject({
      input: { message: "inner", level: "DEBUG", attributes: { k: 1 } },
    });
  });

  test("a malformed record fails alone; the others are kept", () => {
    const broken = [...pb.fixed64(1, NS), ...pb.tag(5, 2), 50, 1, 2]; // body claims 50 bytes
    const deep = record({
      body: Array.from({ length: 40 }).reduce<number[]>((inner) => pb.len(5, pb.len(1, inner)), any.str("x")),
    });
    const result = items(request([record(), broken, deep, record()]));
    expect(result.map((i) => (i.ok ? "ok" : i.error))).toEqual([
      "ok",
      "malformed log record: a field says 50 bytes, 2 remain",
      "malformed log record: values nested deeper than 32",
      "ok",
    ]);
  });

  test("a body broken around its records fails as a whole, with a reason", () => {
    for (const bytes of [
      Uint8Array.from([0x0a, 0x10, 1]),
      Uint8Array.from([0x0b]),
      new TextEncoder().encode('{"resourceLogs":[]}'),
    ]) {
      const r = decodeOtlpProtobuf(bytes, OPTIONS);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toStartWith("not an OTLP ExportLogsServiceRequest: ");
    }
    expect(decodeOtlpProtobuf(new Uint8Array(0), OPTIONS)).toEqual({ ok: true, items: [] });
  });

  test("more records than allowed refuse the request", () => {
    const r = decodeOtlpProtobuf(request(Array.from({ length: 5 }, () => record())), {
      ...OPTIONS,
      maxEvents: 4,
    });
    expect(r).toMatchObject({ ok: false, code: "PAYLOAD_TOO_LARGE" });
  });

  test("every prefix and a thousand corruptions of a real message decode or fail, never throw", () => {
    const good = request([record({ attrs: [kv("a", any.kvlist(kv("b", any.int(2n ** 60n))))] }), record()]);
    for (let n = 0; n <= good.length; n++) decodeOtlpProtobuf(good.subarray(0, n), OPTIONS);
    const random = seededRandom(7);
    for (let i = 0; i < 1_000; i++) {
      const bad = good.slice();
      for (let k = 0; k < 3; k++) bad[Math.floor(random() * bad.length)] = Math.floor(random() * 256);
      const r = decodeOtlpProtobuf(bad, OPTIONS);
      expect(typeof r.ok).toBe("boolean");
    }
  });
});

describe("decodeOtlpJson", () => {
  const body = (
    records: unknown[],
    resource: unknown[] = [{ key: "service.name", value: { stringValue: "svc" } }],
  ) =>
    JSON.stringify({
      resourceLogs: [
        { resource: { attributes: resource }, scopeLogs: [{ scope: { name: "lib" }, logRecords: records }] },
      ],
    });

  test("camelCase with int64 as text or number, hex ids, every AnyValue kind", () => {
    const r = decodeOtlpJson(
      body([
        {
          timeUnixNano: String(NS),
          severityNumber: 13,
          body: { stringValue: "warned" },
          traceId: "5B8EFFF798038103D269B633813FC60C",
          spanId: "eee19b7ec3c1b174",
          attributes: [
            { key: "s", value: { stringValue: "x" } },
            { key: "i", value: { intValue: "42" } },
            { key: "huge", value: { intValue: "9223372036854775807" } },
            { key: "d", value: { doubleValue: 1.5 } },
            { key: "b", value: { boolValue: true } },
            { key: "arr", value: { arrayValue: { values: [{ intValue: 1 }, { stringValue: "y" }] } } },
            { key: "map", value: { kvlistValue: { values: [{ key: "k", value: { boolValue: false } }] } } },
            { key: "raw", value: { bytesValue: "AQI=" } },
            { key: "empty", value: {} },
          ],
        },
      ]),
      OPTIONS,
    );
    if (!r.ok) throw new Error(r.error);
    expect(r.items[0]).toEqual({
      ok: true,
      input: {
        service: "svc",
        level: "WARNING",
        message: "warned",
        timestamp: MS,
        trace_id: "5b8efff798038103d269b633813fc60c",
        span_id: "eee19b7ec3c1b174",
        attributes: {
          s: "x",
          i: 42,
          huge: "9223372036854775807",
          d: 1.5,
          b: true,
          arr: '[1,"y"]',
          "map.k": false,
          raw: "AQI=",
          "otel.scope.name": "lib",
        },
      },
    });
  });

  test("snake_case names, numeric nanoseconds and the severity enum's name are read too", () => {
    const text = JSON.stringify({
      resource_logs: [
        {
          scope_logs: [
            {
              log_records: [
                {
                  time_unix_nano: MS * 1e6,
                  severity_number: "SEVERITY_NUMBER_FATAL",
                  body: { string_value: "x" },
                },
                {
                  observed_time_unix_nano: String(NS),
                  severity_text: "Warning",
                  body: { string_value: "y" },
                },
              ],
            },
          ],
        },
      ],
    });
    const r = decodeOtlpJson(text, OPTIONS);
    if (!r.ok) throw new Error(r.error);
    const seen = r.items.map(
      (i) => i.ok && [i.input.level, Math.floor(Number(i.input.timestamp)), i.input.service],
    );
    expect(seen).toEqual([
      ["CRITICAL", MS, "unknown"],
      ["WARNING", MS, "unknown"],
    ]);
  });

  test("bad bodies fail as a whole; bad records alone", () => {
    const broken = decodeOtlpJson('{"resourceLogs": [}', OPTIONS);
    expect(broken).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    if (!broken.ok) expect(broken.error).toStartWith("body is not valid JSON: line 1, column 19");
    expect(decodeOtlpJson('{"resourceLogs":{}}', OPTIONS)).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    const deep = Array.from({ length: 100 }).reduce<unknown>(
      (inner) => ({ arrayValue: { values: [inner] } }),
      { stringValue: "x" },
    );
    const r = decodeOtlpJson(
      body([5, { body: deep }, { body: {} }, { body: { stringValue: "ok" } }]),
      OPTIONS,
    );
    if (!r.ok) throw new Error(r.error);
    expect(r.items.map((i) => (i.ok ? "ok" : i.error))).toEqual([
      "log record: expected an object",
      "malformed log record: values nested deeper than 32",
      "message: none of message, msg, log, body is present",
      "ok",
    ]);
  });
});

describe("answers", () => {
  test("full success is empty; a partial one names the count and the reasons", () => {
    expect(otlpAnswerJson(0, "")).toEqual({});
    expect(otlpAnswerJson(2, "why")).toEqual({
      partialSuccess: { rejectedLogRecords: "2", errorMessage: "why" },
    });
    expect(otlpAnswerProtobuf(0, "")).toHaveLength(0);
    const r = new ProtoReader(otlpAnswerProtobuf(2, "why"));
    expect(r.tag()).toBe(10);
    r.enter();
    expect([r.tag(), r.int64(), r.tag(), r.string()]).toEqual([8, 2, 18, "why"]);
  });

  test("a google.rpc.Status for refused requests", () => {
    const r = new ProtoReader(otlpStatusProtobuf(3, "bad"));
    expect([r.tag(), r.varint32(), r.tag(), r.string()]).toEqual([8, 3, 18, "bad"]);
  });
});
