import { describe, expect, test } from "bun:test";
import {
  DEFAULT_EVENT_LIMITS,
  type LogEventInput,
  LogEventInputSchema,
  parseLogEvent,
} from "../log-event.ts";
import { jsonObjectIn, mapRecord, type ShipperRecord, TRUNCATED_ATTRIBUTE } from "./mapping.ts";

const NOW = Date.parse("2026-11-29T12:00:00.000Z");

function map(record: ShipperRecord, limits = DEFAULT_EVENT_LIMITS): LogEventInput {
  const r = mapRecord(record, limits);
  if (!r.ok) throw new Error(r.error);
  return r.input;
}

describe("service", () => {
  test("the first of service.name, service_name, service, app, application, job; nested or dotted", () => {
    const all = {
      job: "j",
      application: "ap",
      app: "a",
      service: { name: "nested" },
      service_name: "sn",
    };
    expect(map({ fields: [all], line: "x" }).service).toBe("nested");
    expect(
      map({ fields: [{ ...all, service: undefined, "service.name": "dotted" }], line: "x" }).service,
    ).toBe("dotted");
    expect(map({ fields: [{ ...all, service: undefined }], line: "x" }).service).toBe("sn");
    expect(map({ fields: [{ job: "j", application: "ap", app: "a" }], line: "x" }).service).toBe("a");
    expect(map({ fields: [{ job: "j", application: "ap" }], line: "x" }).service).toBe("ap");
    expect(map({ fields: [{ job: "j" }], line: "x" }).service).toBe("j");
  });

  test("a name ranks above a layer: a resource's service.name beats a record's app", () => {
    const input = map({ fields: [{ app: "from-record" }, { "service.name": "from-resource" }], line: "x" });
    expect(input.service).toBe("from-resource");
    expect(input.attributes).toEqual({ app: "from-record" });
  });

  test("then the protocol's (index name, APP-NAME), else unknown; blank values are skipped", () => {
    expect(map({ fields: [{ service: "  " }], service: "logs-index", line: "x" }).service).toBe("logs-index");
    expect(map({ line: "x" }).service).toBe("unknown");
  });

  test("a service name past 128 characters is cut, not refused", () => {
    expect(map({ fields: [{ service: "s".repeat(500) }], line: "x" }).service).toHaveLength(128);
  });
});

describe("level", () => {
  test("names, syslog numbers, and pino's 10–60 as numbers or text", () => {
    const level = (v: unknown) => map({ fields: [{ level: v }], line: "x" }).level;
    expect(level("warn")).toBe("WARNING");
    expect(level(3)).toBe("ERROR");
    expect(level(30)).toBe("INFO");
    expect(level(10)).toBe("DEBUG");
    expect(level(50)).toBe("ERROR");
    expect(level("60")).toBe("CRITICAL");
    expect(level(17)).toBe("ERROR"); // OpenTelemetry's number where pino has none
  });

  test("severity, severity_text, ECS log.level, in that order after level", () => {
    expect(map({ fields: [{ severity: "error", severity_text: "info" }], line: "x" }).level).toBe("ERROR");
    expect(map({ fields: [{ severity_text: "warn", log: { level: "error" } }], line: "x" }).level).toBe(
      "WARNING",
    );
    const ecs = map({ fields: [{ log: { level: "error", logger: "db" }, message: "m" }] });
    expect(ecs.level).toBe("ERROR");
    expect(ecs.attributes).toEqual({ "log.logger": "db" });
  });

  test("an unknown level is kept as an attribute and the next source is asked, else INFO", () => {
    const a = map({ fields: [{ level: "spam" }], line: "x", syslogSeverity: 3 });
    expect(a.level).toBe("ERROR");
    expect(a.attributes).toEqual({ level: "spam" });
    const b = map({ fields: [{ level: "spam" }], line: "x" });
    expect(b.level).toBe("INFO");
    expect(b.attributes).toEqual({ level: "spam" });
  });

  test("the protocol's severity ranks after every level field: syslog's, then OpenTelemetry's", () => {
    expect(map({ line: "x", syslogSeverity: 4 }).level).toBe("WARNING");
    expect(map({ line: "x", otelSeverity: 21 }).level).toBe("CRITICAL");
    expect(map({ line: "x", otelSeverity: 0 }).level).toBe("INFO");
    expect(map({ fields: [{ severity_text: "debug" }], line: "x", otelSeverity: 17 }).level).toBe("DEBUG");
  });
});

describe("message", () => {
  test("message, msg, log, body, then the line, then the fallback", () => {
    expect(map({ fields: [{ body: "b", log: "l" }], line: "line" }).message).toBe("l");
    expect(map({ fields: [{ msg: "m", body: "b" }] }).message).toBe("m");
    expect(map({ fields: [{ other: 1 }], line: "the line" }).message).toBe("the line");
    expect(map({ fields: [{ other: 1 }], fallbackMessage: '{"other":1}' }).message).toBe('{"other":1}');
  });

  test("no message anywhere is refused with the names looked for", () => {
    const r = mapRecord({ fields: [{ other: 1 }] }, DEFAULT_EVENT_LIMITS);
    expect(r).toEqual({ ok: false, error: "message: none of message, msg, log, body is present" });
  });

  test("a message past the limit is cut and the event says so", () => {
    const input = map({ line: "m".repeat(100) }, { ...DEFAULT_EVENT_LIMITS, maxMessageChars: 10 });
    expect(input.message).toBe(`${"m".repeat(9)}…`);
    expect(input.attributes).toEqual({ [TRUNCATED_ATTRIBUTE]: "message" });
  });
});

describe("JSON inside a line", () => {
  test("a pino line is read as the event: msg, numeric level, time in ms, the rest attributes", () => {
    const line = JSON.stringify({
      level: 50,
      time: NOW - 1000,
      pid: 7,
      hostname: "h1",
      msg: "boom",
      err: { code: "E" },
    });
    const input = map({ line, fields: [{ job: "api", level: "info" }], timestamp: NOW - 5 });
    expect(input).toEqual({
      service: "api",
      level: "ERROR",
      message: "boom",
      timestamp: NOW - 1000,
      host: "h1",
      attributes: { pid: 7, "err.code": "E" },
    });
  });

  test("a JSON line without a message keeps the line as its message, fields still read", () => {
    const line = '{"status":200,"path":"/a"}';
    expect(map({ line })).toMatchObject({ message: line, attributes: { status: 200, path: "/a" } });
  });

  test("only an object counts: arrays, broken JSON and text with braces stay lines", () => {
    for (const line of ["[1,2]", '{"a":', "{not json}", "x {}", " { } trailing"]) {
      expect(map({ line }).message).toBe(line);
    }
    expect(jsonObjectIn('  {"a":1}\n')).toEqual({ a: 1 });
  });
});

describe("time", () => {
  test("@timestamp, timestamp, time, ts, then the protocol's own; an unreadable one stays an attribute", () => {
    const iso = "2026-11-29T11:00:00.000Z";
    const ms = Date.parse(iso);
    expect(map({ fields: [{ "@timestamp": iso, time: ms - 5 }], line: "x" }).timestamp).toBe(ms);
    const r = map({ fields: [{ time: "12:00:01", ts: ms / 1000 }], line: "x", timestamp: 1 });
    expect(r.timestamp).toBe(ms);
    expect(r.attributes).toEqual({ time: "12:00:01" });
    expect(map({ line: "x", timestamp: ms }).timestamp).toBe(ms);
    expect(map({ line: "x" }).timestamp).toBeUndefined();
  });
});

describe("ids and host", () => {
  test("host, trace and span ids from their usual names, then the protocol's", () => {
    const input = map({
      fields: [{ host: { name: "web-1" }, trace: { id: "t1" }, spanId: "s1", requestId: "r1" }],
      line: "x",
      host: "syslog-host",
      traceId: "t-own",
    });
    expect(input).toMatchObject({ host: "web-1", trace_id: "t1", span_id: "s1", request_id: "r1" });
    expect(map({ line: "x", host: "syslog-host" }).host).toBe("syslog-host");
  });

  test("an id longer than an id may be stays an attribute instead", () => {
    const long = "t".repeat(300);
    const input = map({ fields: [{ trace_id: long }], line: "x" });
    expect(input.trace_id).toBeUndefined();
    expect(input.attributes).toEqual({ trace_id: long });
  });
});

describe("attributes", () => {
  test("flattened; the first layer keeps a shared name; arrays as JSON; protocol attributes last", () => {
    const input = map({
      fields: [
        { a: { b: 1, c: [1, "x"] }, shared: "first" },
        { shared: "second", z: true },
      ],
      attributes: { "syslog.facility": "daemon", z: false },
      line: "x",
    });
    expect(input.attributes).toEqual({
      "a.b": 1,
      "a.c": '[1,"x"]',
      shared: "first",
      z: true,
      "syslog.facility": "daemon",
    });
  });

  test("past the limits: values shortened, extra attributes dropped, and a note says what", () => {
    const limits = { ...DEFAULT_EVENT_LIMITS, maxAttributes: 4, maxAttributeValueChars: 5 };
    const fields: Record<string, string> = {};
    for (let i = 0; i < 10; i++) fields[`k${i}`] = i === 0 ? "long value" : "v";
    const input = map({ fields: [fields], line: "x" }, limits);
    expect(input.attributes).toEqual({
      k0: "long…",
      k1: "v",
      k2: "v",
      [TRUNCATED_ATTRIBUTE]: "7 attributes dropped; 1 attribute values shortened",
    });
    const ok = map({ fields: [{ a: 1, b: 2, c: 3, d: 4 }], line: "x" }, limits);
    expect(Object.keys(ok.attributes ?? {})).toEqual(["a", "b", "c", "d"]);
  });

  test("names of Object.prototype's members are ordinary attribute names", () => {
    const input = map({ fields: [{ toString: "a", constructor: "b", hasOwnProperty: 1 }], line: "x" });
    expect(input.attributes).toEqual({ toString: "a", constructor: "b", hasOwnProperty: 1 });
  });

  test("nesting deeper than four levels is kept as JSON text", () => {
    const input = map({ fields: [{ a: { b: { c: { d: { e: { f: 1 } } } } } }], line: "x" });
    expect(input.attributes).toEqual({ "a.b.c.d.e": '{"f":1}' });
  });

  test("hostile records: huge nesting, a hundred thousand keys, __proto__, empty and long keys", () => {
    const deep = `${'{"a":'.repeat(50_000)}1${"}".repeat(50_000)}`;
    const r = mapRecord({ line: deep }, DEFAULT_EVENT_LIMITS);
    if (!r.ok) throw new Error(r.error);
    expect(r.input.attributes?.["a.a.a.a.a"]).toBe(`${'{"a":'.repeat(16)}"…"${"}".repeat(16)}`);
    const many: Record<string, number> = {};
    for (let i = 0; i < 100_000; i++) many[`k${i}`] = i;
    const wide = map({ fields: [many], line: "x" });
    expect(Object.keys(wide.attributes ?? {})).toHaveLength(DEFAULT_EVENT_LIMITS.maxAttributes);
    expect(wide.attributes?.[TRUNCATED_ATTRIBUTE]).toBe("99937 attributes dropped");
    const odd = map({
      line: '{"__proto__":{"polluted":1},"":2,"msg":"m"}',
      fields: [{ ["k".repeat(200)]: 1 }],
    });
    // Only a name that is exactly __proto__ could reach an object's prototype.
    expect(odd.attributes).toEqual({
      "__proto__.polluted": 1,
      [TRUNCATED_ATTRIBUTE]: "2 attributes dropped",
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("with the input schema", () => {
  test("every mapped record holds to LogEventInputSchema (acceptItems relies on it to skip the schema)", () => {
    const records: ShipperRecord[] = [
      { line: "x" },
      { line: "  ", fallbackMessage: "f" },
      { line: '{"msg":7,"level":"spam","time":"nope","service":42}' },
      {
        fields: [{ service: { name: "s".repeat(300) }, trace_id: "t".repeat(256), host: " h ", level: 99 }],
        line: "x",
      },
      {
        fields: [{ "@timestamp": -5, ts: "1e400", span: { id: 12 } }],
        line: "x",
        otelSeverity: 99,
        syslogSeverity: 9,
      },
      {
        fields: [{ a: Number.NaN, b: Number.POSITIVE_INFINITY, c: [1, { d: null }], e: {} }],
        line: "m".repeat(40_000),
      },
      { line: "x", service: "   ", host: "", traceId: "", attributes: { k: "v".repeat(10_000) } },
    ];
    for (const record of records) {
      const r = mapRecord(record, DEFAULT_EVENT_LIMITS);
      if (!r.ok) throw new Error(r.error);
      const checked = LogEventInputSchema.safeParse(r.input);
      expect(checked.success ? "ok" : checked.error.message).toBe("ok");
    }
  });
});

describe("with parseLogEvent", () => {
  test("a mapped record is a valid event whatever its size", () => {
    const fields: Record<string, string> = {};
    for (let i = 0; i < 500; i++) fields[`field_${i}`] = "v".repeat(10_000);
    const mapped = mapRecord(
      { fields: [fields], line: "m".repeat(100_000), timestamp: NOW },
      DEFAULT_EVENT_LIMITS,
    );
    if (!mapped.ok) throw new Error(mapped.error);
    const parsed = parseLogEvent(mapped.input, NOW);
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.event.message).toHaveLength(DEFAULT_EVENT_LIMITS.maxMessageChars);
    expect(Object.keys(parsed.event.attributes)).toHaveLength(DEFAULT_EVENT_LIMITS.maxAttributes);
  });
});
