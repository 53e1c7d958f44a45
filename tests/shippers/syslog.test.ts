import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { AppError } from "../../core/errors.ts";
import type { LogEvent } from "../../core/log-event.ts";
import { type SyslogListener, startSyslogListener } from "../../workers/bun/syslog-listener.ts";
import { freshService, suiteApp } from "../helpers/app.ts";
import { storedOf } from "../helpers/shippers.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

// The listener over a real socket; rsyslog itself drives it in rsyslog.test.ts.
const t = suiteApp();

describe("the syslog listener", () => {
  let syslog: SyslogListener;
  beforeAll(async () => {
    syslog = await startSyslogListener(t.runtime.deps, { port: 0, hostname: "127.0.0.1" });
  });
  afterAll(() => syslog?.stop());

  async function storedWhen(service: string, count: number): Promise<LogEvent[]> {
    for (let i = 0; ; i++) {
      const stored = await storedOf(t, service);
      if (stored.length >= count || i >= 800) return stored;
      await Bun.sleep(25);
    }
  }

  test("TCP, LF-framed and octet-counted on one connection, RFC 3164 and 5424 with structured data", async () => {
    const service = freshService("sys");
    const at = new Date(Date.now() - 5_000);
    const rfc5424 = `<164>1 ${at.toISOString()} web-1 ${service} 42 ID7 [order@32473 id="9" total="12.50"] payment failed`;
    const bsd = `<30>${at.toUTCString().slice(8, 11)} ${String(at.getUTCDate()).padStart(2, " ")} ${at.toISOString().slice(11, 19)} web-2 ${service}[7]: disk ok`;
    const json = `<14>1 - web-3 ${service} - - - {"msg":"from json","level":"error","order":3}`;
    const socket = await Bun.connect({ hostname: "127.0.0.1", port: syslog.tcpPort, socket: { data() {} } });
    socket.write(`${bsd}\n${new TextEncoder().encode(rfc5424).length} ${rfc5424}${json}\n`);
    socket.end();
    const stored = await storedWhen(service, 3);
    const by = new Map(stored.map((e) => [e.message, e]));
    expect(stored.length).toBe(3);
    expect(by.get("payment failed")).toMatchObject({
      service,
      level: "WARNING",
      host: "web-1",
      timestamp: at.toISOString(),
      attributes: { "order@32473.id": "9", "syslog.facility": "local4", "syslog.msgid": "ID7" },
    });
    expect(by.get("disk ok")).toMatchObject({
      level: "INFO",
      host: "web-2",
      attributes: { "syslog.procid": "7" },
    });
    expect(by.get("from json")).toMatchObject({ level: "ERROR", attributes: { order: 3 } });
  });

  test("a full queue: the batch is retried after Retry-After and every message arrives once", async () => {
    const service = freshService("sys-retry");
    let refuse = 2;
    // An injected fault: the collector refuses twice as a full queue does.
    const faulty = await startSyslogListener(
      {
        ...t.runtime.deps,
        collect: (items, d, at) =>
          refuse-- > 0
            ? Promise.reject(
                new AppError("UNAVAILABLE", "Ingest queue is full", { headers: { "Retry-After": "1" } }),
              )
            : t.runtime.deps.collect(items, d, at),
      },
      { port: 0, hostname: "127.0.0.1" },
    );
    try {
      const socket = await Bun.connect({
        hostname: "127.0.0.1",
        port: faulty.tcpPort,
        socket: { data() {} },
      });
      socket.write(
        Array.from({ length: 2_000 }, (_, i) => `<13>1 - h ${service} - - - message ${i}\n`).join(""),
      );
      socket.end();
      const stored = await storedWhen(service, 2_000);
      expect(stored.length).toBe(2_000);
      expect(new Set(stored.map((e) => e.message)).size).toBe(2_000);
      expect(refuse).toBeLessThan(0);
    } finally {
      await faulty.stop();
    }
  });
});
