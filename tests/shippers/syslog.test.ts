import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MemoryLogQueue } from "../../core/adapters/memory/queue.ts";
import { AppError } from "../../core/errors.ts";
import type { LogEvent } from "../../core/log-event.ts";
import { noTelemetry } from "../../core/ports/telemetry.ts";
import { type SyslogListener, startSyslogListener } from "../../workers/bun/syslog-listener.ts";
import { freshService, suiteApp } from "../helpers/app.ts";
import { storedOf } from "../helpers/shippers.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

// The listener over a real socket; rsyslog itself drives it in rsyslog.test.ts.
const t = suiteApp();

/** A promise to hold a store's writes on, and the function that lets them go. */
function gate(): { opened: Promise<void>; release: () => void } {
  let release!: () => void;
  const opened = new Promise<void>((done) => {
    release = done;
  });
  return { opened, release };
}

/** A TCP connection to `port` that has written all of `text` (waiting while the socket is full); left open. */
async function sendAll(port: number, text: string) {
  const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
  const body = new TextEncoder().encode(text);
  let sent = socket.write(body);
  while (sent < body.length) {
    await Bun.sleep(5);
    sent += socket.write(body.subarray(sent));
  }
  return socket;
}

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

  /** Poll `ready` until it holds (a generous bound: the machine may be loaded), then return its last value. */
  async function until<T>(read: () => T | Promise<T>, ready: (v: T) => boolean): Promise<T> {
    for (let i = 0; ; i++) {
      const v = await read();
      if (ready(v) || i >= 800) return v;
      await Bun.sleep(25);
    }
  }

  const lines = (service: string, n: number, from = 0) =>
    Array.from({ length: n }, (_, i) => `<13>1 - h ${service} - - - message ${from + i}\n`).join("");

  /** Write `total` lines for `service` on one connection (left open) and wait until the listener pauses TCP. */
  async function burstUntilPaused(listener: SyslogListener, service: string, total: number) {
    const socket = await sendAll(listener.tcpPort, lines(service, total));
    const paused = await until(
      () => listener.state(),
      (s) => s.paused,
    );
    expect(paused.paused).toBe(true);
    return { socket, paused };
  }

  test("a queue that refuses for longer than five tries: TCP is paused meanwhile and every message arrives once", async () => {
    const service = freshService("sys-retry");
    let refuse = 8;
    const seenPaused: boolean[] = [];
    let listener: SyslogListener | undefined;
    // An injected fault: the collector refuses as a full queue does, eight times over.
    const faulty = await startSyslogListener(
      {
        ...t.runtime.deps,
        collect: (items, d, at) => {
          if (refuse-- > 0) {
            queueMicrotask(() => seenPaused.push(listener!.state().paused));
            return Promise.reject(
              new AppError("UNAVAILABLE", "Ingest queue is full", { headers: { "Retry-After": "1" } }),
            );
          }
          return t.runtime.deps.collect(items, d, at);
        },
      },
      { port: 0, hostname: "127.0.0.1", retryDelayMs: () => 20 },
    );
    listener = faulty;
    try {
      const socket = await Bun.connect({
        hostname: "127.0.0.1",
        port: faulty.tcpPort,
        socket: { data() {} },
      });
      socket.write(lines(service, 2_000));
      socket.end();
      const stored = await storedWhen(service, 2_000);
      expect(stored.length).toBe(2_000);
      expect(new Set(stored.map((e) => e.message)).size).toBe(2_000);
      expect(refuse).toBeLessThan(0);
      // From the second refusal on, the connections were paused (the first refusal pauses them).
      expect(seenPaused.slice(1).every(Boolean)).toBe(true);
      expect(faulty.state()).toEqual({ backlog: 0, paused: false });
    } finally {
      await faulty.stop();
    }
  });

  test("a sender faster than the store: batches of at most 1,000, at most 4 published at once, every message once", async () => {
    const service = freshService("sys-shape");
    const sizes: number[] = [];
    let publishing = 0;
    let mostAtOnce = 0;
    const listener = await startSyslogListener(
      {
        ...t.runtime.deps,
        collect: async (items, d, at) => {
          sizes.push(items.length);
          mostAtOnce = Math.max(mostAtOnce, ++publishing);
          try {
            await Bun.sleep(20); // a store slower than the sender: batches wait behind the slots
            return await t.runtime.deps.collect(items, d, at);
          } finally {
            publishing--;
          }
        },
      },
      { port: 0, hostname: "127.0.0.1" },
    );
    const total = 12_000;
    try {
      const socket = await sendAll(listener.tcpPort, lines(service, total));
      socket.end();
      const stored = await storedWhen(service, total);
      expect(stored.length).toBe(total);
      expect(new Set(stored.map((e) => e.message)).size).toBe(total);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(1_000);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(total);
      expect(mostAtOnce).toBeLessThanOrEqual(4);
      // The slots were used side by side, not one batch at a time.
      expect(mostAtOnce).toBeGreaterThan(1);
      expect(listener.state()).toEqual({ backlog: 0, paused: false });
    } finally {
      await listener.stop();
    }
  });

  test("a store that blocks: TCP stops being read past the high-water mark, resumes when the store writes, and loses nothing", async () => {
    const service = freshService("sys-blocked");
    const { opened, release } = gate();
    const store = t.runtime.deps.store;
    const blocking = Object.create(store) as typeof store;
    blocking.write = async (events) => {
      await opened;
      return store.write(events);
    };
    const queue = new MemoryLogQueue(blocking, {
      maxPending: 1_000_000,
      batchSize: 5_000,
      lingerMs: 5,
      concurrency: 1,
    });
    const listener = await startSyslogListener(
      { ...t.runtime.deps, queue },
      { port: 0, hostname: "127.0.0.1", highWater: 500, lowWater: 100 },
    );
    const total = 20_000;
    try {
      // About 900 KiB: more than the listener may hold, less than loopback's socket buffers, so the
      // sender is done writing while the listener has not read it all.
      const { socket } = await burstUntilPaused(listener, service, total);
      // Paused: the backlog settles at one read's worth past the mark, far below what was sent.
      const settled = await until(
        async () => {
          const before = listener.state().backlog;
          await Bun.sleep(100);
          return { before, after: listener.state().backlog };
        },
        (s) => s.before === s.after,
      );
      expect(settled.after).toBeLessThan(total / 2);
      expect((await storedOf(t, service)).length).toBe(0);

      release();
      socket.end();
      const stored = await storedWhen(service, total);
      expect(stored.length).toBe(total);
      expect(new Set(stored.map((e) => e.message)).size).toBe(total);
      expect(
        await until(
          () => listener.state(),
          (s) => !s.paused,
        ),
      ).toEqual({ backlog: 0, paused: false });
    } finally {
      release();
      await listener.stop();
      await queue.close();
    }
  });

  test("by default TCP is read only a few batches ahead of the store: a burst onto a blocked store pauses, then all of it is stored", async () => {
    const service = freshService("sys-ahead");
    const { opened, release } = gate();
    const listener = await startSyslogListener(
      {
        ...t.runtime.deps,
        collect: async (items, d, at) => {
          await opened;
          return t.runtime.deps.collect(items, d, at);
        },
      },
      { port: 0, hostname: "127.0.0.1" },
    );
    const total = 20_000;
    try {
      const { socket, paused } = await burstUntilPaused(listener, service, total);
      // Paused with part of the burst still in the socket (reads come in chunks of thousands of lines).
      expect(paused.backlog).toBeLessThan(total);
      release();
      socket.end();
      const stored = await storedWhen(service, total);
      expect(new Set(stored.map((e) => e.message)).size).toBe(total);
    } finally {
      release();
      await listener.stop();
    }
  });

  test("UDP past its own high-water mark (deeper than TCP's, which it cannot pause): datagrams are dropped and counted, the rest stored", async () => {
    const service = freshService("sys-udp");
    const { opened, release } = gate();
    let dropped = 0;
    const listener = await startSyslogListener(
      {
        ...t.runtime.deps,
        telemetry: {
          ...noTelemetry,
          syslogDropped: (reason, n) => {
            if (reason === "udp_backlog") dropped += n;
          },
        },
        collect: async (items, d, at) => {
          await opened;
          return t.runtime.deps.collect(items, d, at);
        },
      },
      { port: 0, hostname: "127.0.0.1", highWater: 50, lowWater: 20, udpHighWater: 100 },
    );
    const udp = await Bun.udpSocket({});
    try {
      const sent = 300;
      for (let i = 0; i < sent; i++) {
        udp.send(`<13>1 - h ${service} - - - datagram ${i}`, listener.udpPort, "127.0.0.1");
      }
      await until(
        () => dropped + listener.state().backlog,
        (n) => n >= sent,
      );
      expect(listener.state().backlog).toBe(100);
      expect(dropped).toBe(sent - 100);
      release();
      const stored = await storedWhen(service, 100);
      expect(stored.length).toBe(100);
    } finally {
      release();
      udp.close();
      await listener.stop();
    }
  });

  test("stopping while the queue still refuses: the listener stops, and what it gave up is logged and counted", async () => {
    const service = freshService("sys-stop");
    const dropped: number[] = [];
    const logged: Record<string, unknown>[] = [];
    const listener = await startSyslogListener(
      {
        ...t.runtime.deps,
        telemetry: {
          ...noTelemetry,
          syslogDropped: (reason, n) => {
            if (reason === "stop") dropped.push(n);
          },
        },
        log: (line) => logged.push(line),
        collect: () =>
          Promise.reject(new AppError("UNAVAILABLE", "store down", { headers: { "Retry-After": "5" } })),
      },
      { port: 0, hostname: "127.0.0.1", retryDelayMs: () => 10 },
    );
    const socket = await Bun.connect({
      hostname: "127.0.0.1",
      port: listener.tcpPort,
      socket: { data() {} },
    });
    socket.write(lines(service, 10));
    expect(
      await until(
        () => listener.state(),
        (s) => s.paused,
      ),
    ).toEqual({ backlog: 10, paused: true });
    await listener.stop();
    expect(dropped).toEqual([10]);
    expect(logged.some((l) => String(l.msg).includes("dropped at stop") && l.count === 10)).toBe(true);
    expect((await storedOf(t, service)).length).toBe(0);
  });
});
