import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { integrationTimeouts } from "../../tests/helpers/timeouts.ts";
import { DEFAULT_EVENT_LIMITS } from "../log-event.ts";
import type { DecodedItem } from "./decoded.ts";
import { syslogItem } from "./syslog.ts";
import { SyslogTcpFramer, syslogDatagram } from "./syslog-framing.ts";

integrationTimeouts();

// util-linux's logger (in every Debian base system) sends to listeners made of the framers and the
// parser: RFC 5424 and 3164, over TCP (octet-counted and LF-framed) and UDP.
const OPTIONS = { limits: DEFAULT_EVENT_LIMITS, maxEvents: 10_000 };
const received: DecodedItem[] = [];
const errors: string[] = [];

const tcp = Bun.listen<{ framer: SyslogTcpFramer }>({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(socket) {
      socket.data = { framer: new SyslogTcpFramer() };
    },
    data(socket, chunk) {
      const batch = socket.data.framer.push(chunk);
      for (const m of batch.messages) received.push(syslogItem(m, Date.now(), OPTIONS));
      if (batch.error) {
        errors.push(batch.error);
        socket.end();
      }
    },
    close(socket) {
      for (const m of socket.data.framer.end()) received.push(syslogItem(m, Date.now(), OPTIONS));
    },
  },
});
const udp = await Bun.udpSocket({
  hostname: "127.0.0.1",
  socket: {
    data(_socket, data) {
      received.push(syslogItem(syslogDatagram(data), Date.now(), OPTIONS));
    },
  },
});
const dir = mkdtempSync(join(tmpdir(), "logflow-syslog-"));
afterAll(() => {
  tcp.stop(true);
  udp.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Send `lines` through logger, `batch` lines per run: UDP has no flow control, so a burst of a
 * thousand datagrams overruns the receiving socket's buffer (and loses lines, as UDP syslog does). */
async function logger(args: string[], lines: string[], batch = lines.length) {
  received.length = 0;
  const file = join(dir, "lines.txt");
  for (let at = 0; at < lines.length; at += batch) {
    const part = lines.slice(at, at + batch);
    writeFileSync(file, `${part.join("\n")}\n`);
    const proc = Bun.spawn(["logger", "-n", "127.0.0.1", ...args, "-f", file], { stderr: "pipe" });
    expect(await proc.exited).toBe(0);
    const want = at + part.length;
    for (let waited = 0; received.length < want && waited < 10_000; waited += 10) await Bun.sleep(10);
  }
}

const lines = Array.from({ length: 1_000 }, (_, i) => `job ${i} finished`);

describe("util-linux logger", () => {
  test.each([
    ["TCP, octet-counted, RFC 5424", ["-T", "--octet-count", "--rfc5424", "-P", String(tcp.port)], 1_000],
    ["TCP, LF-framed, RFC 5424", ["-T", "--rfc5424", "-P", String(tcp.port)], 1_000],
    ["TCP, LF-framed, RFC 3164", ["-T", "--rfc3164", "-P", String(tcp.port)], 1_000],
    ["UDP, RFC 5424", ["-d", "--rfc5424", "-P", String(udp.port)], 20],
  ] as const)("%s: 1,000 lines arrive once each with service, level and time", async (_name, args, batch) => {
    const before = Date.now();
    await logger([...args, "-t", "backup-job", "-p", "local3.warning"], lines, batch);
    expect(received).toHaveLength(1_000);
    const messages = new Set(received.map((r) => (r.ok ? r.input.message : r.error)));
    expect(messages).toEqual(new Set(lines));
    for (const r of received) {
      if (!r.ok) throw new Error(r.error);
      expect(r.input).toMatchObject({
        service: "backup-job",
        level: "WARNING",
        attributes: { "syslog.facility": "local3" },
      });
      // RFC 3164 times have whole seconds; RFC 5424's are precise.
      expect(Number(r.input.timestamp)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
      expect(Number(r.input.timestamp)).toBeLessThanOrEqual(Date.now());
    }
    expect(errors).toEqual([]);
  });

  test("structured data and MSGID from logger's RFC 5424 options", async () => {
    await logger(
      [
        "-T",
        "--octet-count",
        "--rfc5424",
        "-P",
        String(tcp.port),
        "-t",
        "api",
        "-p",
        "user.err",
        "--msgid",
        "REQ",
        "--sd-id",
        "req@32473",
        "--sd-param",
        'path="/pay"',
      ],
      ["payment failed"],
    );
    expect(received[0]).toMatchObject({
      ok: true,
      input: {
        service: "api",
        level: "ERROR",
        message: "payment failed",
        attributes: { "req@32473.path": "/pay", "syslog.msgid": "REQ" },
      },
    });
  });
});
