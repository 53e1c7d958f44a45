import { describe, expect, test } from "bun:test";
import { DEFAULT_EVENT_LIMITS } from "../log-event.ts";
import { parseSyslog, syslogItem } from "./syslog.ts";
import { SyslogTcpFramer, syslogDatagram } from "./syslog-framing.ts";

const NOW = Date.parse("2026-11-29T12:00:00.000Z");
const OPTIONS = { limits: DEFAULT_EVENT_LIMITS, maxEvents: 1_000 };
const bytes = (s: string) => new TextEncoder().encode(s);

describe("parseSyslog", () => {
  test("RFC 5424 with structured data, escapes and a BOM", () => {
    const text =
      '<165>1 2026-11-29T11:14:15.003Z mymachine.example.com evntslog 8710 ID47 [exampleSDID@32473 iut="3" eventSource="App\\"lication\\]"][meta seq="1"] \uFEFFAn application event';
    expect(parseSyslog(text, NOW)).toEqual({
      format: "rfc5424",
      facility: 20,
      severity: 5,
      timestamp: Date.parse("2026-11-29T11:14:15.003Z"),
      hostname: "mymachine.example.com",
      appName: "evntslog",
      procId: "8710",
      msgId: "ID47",
      structuredData: {
        "exampleSDID@32473.iut": "3",
        "exampleSDID@32473.eventSource": 'App"lication]',
        "meta.seq": "1",
      },
      message: "An application event",
    });
  });

  test("structured data values: empty, a backslash that escapes nothing, an escaped backslash before the closing quote", () => {
    const text =
      '<14>1 - h app - - [a x="" y="C:\\temp\\n" z="ends in \\\\"][b w="plain"] msg with a \\ backslash';
    expect(parseSyslog(text, NOW).structuredData).toEqual({
      "a.x": "",
      "a.y": "C:\\temp\\n",
      "a.z": "ends in \\",
      "b.w": "plain",
    });
    expect(parseSyslog(text, NOW).message).toBe("msg with a \\ backslash");
  });

  test("structured data without its closing quote is no RFC 5424 message: kept whole", () => {
    const text = '<14>1 - h app - - [a x="never closed] msg';
    const m = parseSyslog(text, NOW);
    expect(m.format).toBe("rfc3164");
    expect(m.structuredData).toBeUndefined();
    expect(m.message).toContain('x="never closed] msg');
  });

  test("RFC 5424 and RFC 3339 times keep their microseconds", () => {
    expect(parseSyslog("<14>1 2026-12-03T10:00:00.123456Z host app - - - m", 0).timestamp).toBe(
      Date.UTC(2026, 11, 3, 10) + 123.456,
    );
    expect(parseSyslog("<14>2026-12-03T11:00:00.000001+01:00 host app: m", 0).timestamp).toBe(
      Date.UTC(2026, 11, 3, 10) + 0.001,
    );
  });

  test("RFC 5424 with every field nil and no message", () => {
    expect(parseSyslog("<14>1 - - - - - -", NOW)).toEqual({
      format: "rfc5424",
      facility: 1,
      severity: 6,
      message: "",
    });
  });

  test("RFC 3164: BSD time in the closest past year, host, tag and pid", () => {
    expect(parseSyslog("<34>Oct  1 22:14:15 mymachine su[77]: 'su root' failed", NOW)).toEqual({
      format: "rfc3164",
      facility: 4,
      severity: 2,
      timestamp: Date.UTC(2026, 9, 1, 22, 14, 15),
      hostname: "mymachine",
      appName: "su",
      procId: "77",
      message: "'su root' failed",
    });
    // A December line read on the 1st of January is from last year.
    const jan1 = Date.parse("2027-01-01T00:10:00Z");
    expect(parseSyslog("<13>Dec 31 23:59:59 h app: x", jan1).timestamp).toBe(
      Date.UTC(2026, 11, 31, 23, 59, 59),
    );
  });

  test("RFC 3164 variants: RFC 3339 time as rsyslog forwards, no host, no PRI, no header at all", () => {
    expect(parseSyslog("<13>2026-11-29T10:00:00.5+01:00 web1 nginx: up", NOW)).toMatchObject({
      timestamp: Date.parse("2026-11-29T09:00:00.5Z"),
      hostname: "web1",
      appName: "nginx",
      message: "up",
    });
    expect(parseSyslog("<13>Nov 29 10:00:00 cron[5]: ran", NOW)).toMatchObject({
      appName: "cron",
      message: "ran",
    });
    expect(parseSyslog("just text", NOW)).toEqual({
      format: "rfc3164",
      facility: 1,
      severity: 5,
      message: "just text",
    });
    expect(parseSyslog("<999>x", NOW)).toMatchObject({ severity: 5, message: "<999>x" });
  });

  test("a malformed RFC 5424 header falls back to reading it as BSD, never failing", () => {
    for (const text of [
      "<13>1 ",
      "<13>1 a b c d e [broken",
      '<13>1 - - - - - [id k="unterminated]',
      "<13>1 - - - - - x",
    ]) {
      expect(parseSyslog(text, NOW).format).toBe("rfc3164");
    }
  });
});

describe("syslogItem", () => {
  test("APP-NAME is the service, severity the level, HOSTNAME the host; the rest are attributes", () => {
    const item = syslogItem(
      '<11>1 2026-11-29T11:00:00Z db1 postgres 42 CKPT [x@1 lag="5"] checkpoint slow',
      NOW,
      OPTIONS,
    );
    expect(item).toEqual({
      ok: true,
      input: {
        service: "postgres",
        level: "ERROR",
        message: "checkpoint slow",
        timestamp: Date.parse("2026-11-29T11:00:00Z"),
        host: "db1",
        attributes: {
          "x@1.lag": "5",
          "syslog.facility": "user",
          "syslog.procid": "42",
          "syslog.msgid": "CKPT",
        },
      },
    });
  });

  test("a JSON message is the event; a message naming no service gets the listener's default", () => {
    const item = syslogItem(
      '<14>Nov 29 11:00:00 h app: {"msg":"j","level":"warn","service":"billing"}',
      NOW,
      OPTIONS,
    );
    expect(item).toMatchObject({ ok: true, input: { service: "billing", level: "WARNING", message: "j" } });
    const bare = syslogItem("no header", NOW, { ...OPTIONS, service: "syslog" });
    expect(bare).toMatchObject({
      ok: true,
      input: { service: "syslog", level: "INFO", message: "no header" },
    });
    expect(syslogItem("<14>1 - - - - - -", NOW, OPTIONS)).toMatchObject({
      ok: true,
      input: { message: "<14>1 - - - - - -" },
    });
  });
});

describe("SyslogTcpFramer", () => {
  test("line-framed and octet-counted messages, mixed, split across chunks anywhere", () => {
    const stream = bytes("<13>1 - h a - - - one\n12 <13>two\nxyz\r\n<13>three\n\0\n5 héé") as Uint8Array;
    const want = ["<13>1 - h a - - - one", "<13>two\nxyz", "<13>three", "héé"];
    for (let cut = 1; cut < stream.length; cut++) {
      const framer = new SyslogTcpFramer();
      const got = [
        ...framer.push(stream.subarray(0, cut)).messages,
        ...framer.push(stream.subarray(cut)).messages,
      ];
      expect([...got, ...framer.end()]).toEqual(want);
    }
  });

  test("a line starting with digits but no space after them is a line, not a count", () => {
    const framer = new SyslogTcpFramer();
    expect(framer.push(bytes("2026-11-29 started\n")).messages).toEqual(["2026-11-29 started"]);
  });

  test("a line longer than the limit is cut and its rest skipped; memory stays bounded", () => {
    const framer = new SyslogTcpFramer(10);
    const out = framer.push(bytes(`${"a".repeat(25)}`));
    expect(out.messages).toEqual(["a".repeat(10)]);
    expect(framer.push(bytes("b".repeat(1_000_000))).messages).toEqual([]);
    expect(framer.push(bytes("bbb\nnext\n")).messages).toEqual(["next"]);
  });

  test("an octet count past the limit ends the connection, with a reason", () => {
    const framer = new SyslogTcpFramer(100);
    const out = framer.push(bytes("5 hello999999 x"));
    expect(out).toEqual({ messages: ["hello"], error: "a message of 999999 bytes is longer than 100" });
    expect(framer.push(bytes("3 abc")).messages).toEqual([]);
  });

  test("a cut octet-counted message at the end is dropped, a last unterminated line kept", () => {
    const a = new SyslogTcpFramer();
    a.push(bytes("10 abc"));
    expect(a.end()).toEqual([]);
    const b = new SyslogTcpFramer();
    b.push(bytes("last line"));
    expect(b.end()).toEqual(["last line"]);
  });
});

describe("syslogDatagram", () => {
  test("one datagram, trailing LF/CR/NUL dropped, long ones cut, bad UTF-8 replaced", () => {
    expect(syslogDatagram(bytes("<13>hi\r\n\0"))).toBe("<13>hi");
    expect(syslogDatagram(bytes("abcdef"), 3)).toBe("abc");
    expect(syslogDatagram(Uint8Array.from([0x61, 0xff]))).toBe("a\uFFFD");
  });
});
