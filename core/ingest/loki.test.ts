import { describe, expect, test } from "bun:test";
import { compressSync } from "snappy";
import { pb } from "../../tests/helpers/protobuf-encoder.ts";
import { seededRandom } from "../anomaly/isolation-forest.ts";
import { DEFAULT_EVENT_LIMITS } from "../log-event.ts";
import { acceptItems, type DecodedItem, millisOfNanos } from "./decoded.ts";
import { decodeLokiJson, decodeLokiProtobuf, parseLabels } from "./loki.ts";

const OPTIONS = { limits: DEFAULT_EVENT_LIMITS, maxEvents: 1_000, maxBytes: 10 * 1024 * 1024 };
const NOW = Date.parse("2026-11-29T12:00:00.000Z");
const MS = NOW - 60_000;
const NS = `${MS}000123`;

function json(body: unknown): DecodedItem[] {
  const r = decodeLokiJson(JSON.stringify(body), OPTIONS);
  if (!r.ok) throw new Error(r.error);
  return r.items;
}

const entry = (seconds: number, nanos: number, line: string, meta: [string, string][] = []) => [
  ...pb.len(1, [...pb.uint(1, seconds), ...pb.uint(2, nanos)]),
  ...pb.str(2, line),
  ...meta.flatMap(([k, v]) => pb.len(3, [...pb.str(1, k), ...pb.str(2, v)])),
];
const push = (streams: [labels: string, entries: number[][]][]) =>
  Uint8Array.from(
    streams.flatMap(([labels, entries]) =>
      pb.len(1, [...pb.str(1, labels), ...entries.flatMap((e) => pb.len(2, e))]),
    ),
  );
const snappy = (bytes: Uint8Array) => new Uint8Array(compressSync(Buffer.from(bytes)));

function proto(body: Uint8Array): DecodedItem[] {
  const r = decodeLokiProtobuf(body, OPTIONS);
  if (!r.ok) throw new Error(r.error);
  return r.items;
}

describe("decodeLokiJson", () => {
  test("labels name the service and level, the line is the message, nanoseconds the time", () => {
    const items = json({
      streams: [
        {
          stream: { service_name: "api", job: "varlogs", level: "warn" },
          values: [[NS, "disk almost full"]],
        },
      ],
    });
    expect(items).toEqual([
      {
        ok: true,
        input: {
          service: "api",
          level: "WARNING",
          message: "disk almost full",
          timestamp: MS,
          attributes: { job: "varlogs" },
        },
        idKey: `loki\0{"service_name":"api","job":"varlogs","level":"warn"}\0${NS}\0disk almost full`,
      },
    ]);
  });

  test("structured metadata ranks above labels and is kept; a JSON line is read as the event", () => {
    const items = json({
      streams: [
        {
          stream: { app: "shop", level: "info" },
          values: [[NS, '{"level":50,"msg":"paid","order":7}', { trace_id: "abc", region: "eu" }]],
        },
      ],
    });
    expect(items[0]).toMatchObject({
      ok: true,
      input: {
        service: "shop",
        level: "ERROR",
        message: "paid",
        trace_id: "abc",
        attributes: { order: 7, region: "eu" },
      },
    });
  });

  test("the older labels-string form with RFC 3339 times", () => {
    const items = json({
      streams: [{ labels: '{job="old"}', entries: [{ ts: new Date(MS).toISOString(), line: "legacy" }] }],
    });
    expect(items[0]).toMatchObject({ ok: true, input: { service: "old", message: "legacy", timestamp: MS } });
  });

  test("a replayed push gives the same ids; another line or time gives another", () => {
    const body = {
      streams: [
        {
          stream: { job: "a" },
          values: [
            [NS, "x"],
            [NS, "y"],
            [`${MS + 1}000000`, "x"],
          ],
        },
      ],
    };
    const ids = () => acceptItems(json(body), NOW, DEFAULT_EVENT_LIMITS).events.map((e) => e.id);
    const first = ids();
    expect(ids()).toEqual(first);
    expect(new Set(first).size).toBe(3);
  });

  test("bad entries and streams fail one by one; a bad body as a whole", () => {
    const items = json({
      streams: [
        { stream: { job: "a" }, values: [["not-ns", "x"], [NS], [NS, ""], [NS, "ok"]] },
        { stream: "labels?", values: [] },
        7,
        { stream: { job: "b" } },
        { labels: "{job=unquoted}", entries: [{ ts: "2026-01-01T00:00:00Z", line: "x" }] },
      ],
    });
    expect(items.map((i) => (i.ok ? "ok" : i.error))).toEqual([
      'entry time "not-ns" is not nanoseconds since the epoch',
      'streams[0].values: each entry must be ["<ns>", "<line>"] or with metadata',
      "message: none of message, msg, log, body is present",
      "ok",
      "streams[1].stream: expected an object of labels",
      "streams[2]: expected an object",
      'streams[3]: expected "values": [["<ns>", "<line>"], …]',
      "streams[4].labels: expected a quoted value for job",
    ]);
    expect(decodeLokiJson("{", OPTIONS)).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    expect(decodeLokiJson('{"streams":{}}', OPTIONS)).toMatchObject({
      ok: false,
      error: 'expected {"streams": [...]}',
    });
    expect(decodeLokiJson("null", OPTIONS)).toMatchObject({ ok: false });
  });

  test("more entries than allowed refuse the push", () => {
    const values = Array.from({ length: 11 }, () => [NS, "x"]);
    const r = decodeLokiJson(JSON.stringify({ streams: [{ stream: {}, values }] }), {
      ...OPTIONS,
      maxEvents: 10,
    });
    expect(r).toMatchObject({ ok: false, code: "PAYLOAD_TOO_LARGE" });
  });
});

describe("decodeLokiProtobuf", () => {
  const seconds = Math.floor(MS / 1000);
  const nanos = (MS % 1000) * 1e6 + 123;

  test("snappy-compressed PushRequest: labels text, seconds and nanos, structured metadata", () => {
    const body = snappy(
      push([
        [
          '{job="api", level="error", path="C:\\\\logs\\"x\\""}',
          [entry(seconds, nanos, "boom", [["user", "ann"]])],
        ],
      ]),
    );
    expect(proto(body)).toEqual([
      {
        ok: true,
        input: {
          service: "api",
          level: "ERROR",
          message: "boom",
          timestamp: MS,
          attributes: { user: "ann", path: 'C:\\logs"x"' },
        },
        idKey: `loki\0{job="api", level="error", path="C:\\\\logs\\"x\\""}\0${NS}\0boom`,
      },
    ]);
  });

  test("the same entry as JSON and as protobuf maps to the same event input", () => {
    const viaProto = proto(snappy(push([['{job="a"}', [entry(seconds, nanos, "same")]]])))[0]!;
    const viaJson = json({ streams: [{ stream: { job: "a" }, values: [[NS, "same"]] }] })[0]!;
    if (!viaProto.ok || !viaJson.ok) throw new Error("refused");
    expect(viaProto.input).toEqual(viaJson.input);
  });

  test("uncompressed protobuf is read too; garbage is refused with both reasons", () => {
    expect(proto(push([['{job="raw"}', [entry(seconds, nanos, "plain")]]]))[0]).toMatchObject({
      input: { service: "raw" },
    });
    const r = decodeLokiProtobuf(Uint8Array.from([0xff, 0xff, 0x01, 0x0b]), OPTIONS);
    expect(r).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    if (!r.ok) expect(r.error).toStartWith("not a snappy-compressed Loki PushRequest: snappy");
  });

  test("a snappy bomb is refused before it is inflated", () => {
    const r = decodeLokiProtobuf(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0]), OPTIONS);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain("inflates to 4294967295 bytes, more than 10485760");
  });

  test("malformed entries fail alone; bad labels fail their stream's entries", () => {
    const items = proto(
      snappy(
        push([
          [
            '{job="a"}',
            [entry(seconds, nanos, "ok"), [...pb.tag(2, 2), 40, 1], entry(seconds, 2e9, "bad nanos")],
          ],
          ["{job=a}", [entry(seconds, nanos, "x")]],
        ]),
      ),
    );
    expect(items.map((i) => (i.ok ? "ok" : i.error))).toEqual([
      "ok",
      "malformed entry: a field says 40 bytes, 1 remain",
      `malformed entry: timestamp ${seconds}s 2000000000ns is out of range`,
      'stream labels "{job=a}": expected a quoted value for job',
    ]);
  });

  test("every prefix and random corruptions of a real push decode or fail, never throw", () => {
    const good = snappy(
      push([['{job="a",x="y"}', [entry(seconds, nanos, "one", [["k", "v"]]), entry(seconds, 0, "two")]]]),
    );
    for (let n = 0; n <= good.length; n++)
      expect(typeof decodeLokiProtobuf(good.subarray(0, n), OPTIONS).ok).toBe("boolean");
    const random = seededRandom(5);
    for (let i = 0; i < 1_000; i++) {
      const bad = good.slice();
      bad[Math.floor(random() * bad.length)] = Math.floor(random() * 256);
      expect(typeof decodeLokiProtobuf(bad, OPTIONS).ok).toBe("boolean");
    }
  });
});

describe("millisOfNanos", () => {
  test("milliseconds to the microsecond from nanosecond digits, cut exactly; null for anything else", () => {
    expect(millisOfNanos("1796292700442000000")).toBe(1_796_292_700_442); // Number() of it rounds to …441.99…
    expect(millisOfNanos("1796292700441999999")).toBe(1_796_292_700_441.999);
    expect(millisOfNanos("1796292700441000001")).toBe(1_796_292_700_441);
    expect(millisOfNanos("999999")).toBe(0.999);
    expect(millisOfNanos("999")).toBe(0);
    for (const bad of ["", "-1", "1e18", "1.5", "123456789012345678901"])
      expect(millisOfNanos(bad)).toBeNull();
  });
});

describe("parseLabels", () => {
  test("Prometheus label sets with Go escapes", () => {
    expect(parseLabels('{a="1", b = "x\\ty\\u00e9\\x41", c="\\"q\\""}')).toEqual({
      a: "1",
      b: "x\tyéA",
      c: '"q"',
    });
    expect(parseLabels("{}")).toEqual({});
    expect(parseLabels("")).toEqual({});
    expect(parseLabels('{a="1",}')).toEqual({ a: "1" });
  });
  test("what is not a label set says why", () => {
    expect(parseLabels("a=1")).toBe("expected {");
    expect(parseLabels('{a="1"')).toBe("expected , or } after the value of a");
    expect(parseLabels('{a="1')).toBe("unterminated value for a");
    expect(parseLabels('{a="\\u12"}')).toBe("bad escape in the value of a");
    expect(parseLabels('{a="1"} x')).toBe("text after }");
    expect(parseLabels('{="1"}')).toBe("expected a label name at 1");
  });
});
