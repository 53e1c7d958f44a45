/**
 * The syslog listener (SYSLOG_PORT): RFC 5424 and RFC 3164 messages over TCP (octet-counted or
 * LF-framed, RFC 6587, mixed on one connection) and UDP, on one port number for both. Each message is
 * mapped as every shipper's records are (APP-NAME → service, severity → level, structured data →
 * attributes) and handed to the collector in batches, into the same pipeline as /api/v1/ingest.
 *
 * Syslog has no acknowledgement: a message is the listener's once it arrived. When the queue is full
 * the batch is retried after the queue's Retry-After, up to five times; a batch that still cannot be
 * published is dropped and logged. While more than `HIGH_WATER` messages wait, TCP connections stop
 * being read (senders feel TCP's backpressure, as rsyslog's queue then holds its messages) until fewer
 * than `LOW_WATER` do; UDP cannot be held back. Syslog has no authentication either: put the port on
 * a trusted network.
 */
import { createSocket } from "node:dgram";
import type { Socket } from "bun";
import { AppError } from "../../core/errors.ts";
import { acceptItems, type DecodedItem } from "../../core/ingest/decoded.ts";
import { syslogItem } from "../../core/ingest/syslog.ts";
import { SyslogTcpFramer, syslogDatagram } from "../../core/ingest/syslog-framing.ts";
import type { IngestItem } from "../../core/ports/collector.ts";
import type { AppDeps } from "../../edge-api/context.ts";

export interface SyslogListener {
  tcpPort: number;
  udpPort: number;
  /** Stop listening and publish what arrived. */
  stop(): Promise<void>;
}

type SyslogDeps = Pick<AppDeps, "collect" | "queue" | "limits" | "telemetry" | "log" | "now">;

/** Messages are published in batches of at most this many, or after `LINGER_MS`. */
const MAX_BATCH = 5_000;
const LINGER_MS = 5;
const MAX_TRIES = 5;
/** Past this many messages waiting to be published, TCP connections are paused; read again below LOW_WATER. */
const HIGH_WATER = 50_000;
const LOW_WATER = 10_000;
/** SO_RCVBUF asked for the UDP socket (the kernel caps it at net.core.rmem_max). */
const UDP_RECEIVE_BUFFER = 8 * 1024 * 1024;

/** Gathers mapped messages from every connection and publishes them in batches, in arrival order. */
class SyslogBatcher {
  private items: DecodedItem[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight = new Set<Promise<void>>();
  /** Messages added and not yet published (or dropped). */
  backlog = 0;

  constructor(
    private readonly deps: SyslogDeps,
    /** Called when a publish brought the backlog below LOW_WATER. */
    private readonly onLow: () => void,
  ) {}

  add(message: string): void {
    this.backlog++;
    const now = this.deps.now?.() ?? Date.now();
    this.items.push(syslogItem(message, now, { limits: this.deps.limits, maxEvents: MAX_BATCH }));
    if (this.items.length >= MAX_BATCH) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), LINGER_MS);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.items.length === 0) return;
    const batch = this.items;
    this.items = [];
    const p = this.publish(batch).finally(() => {
      this.inFlight.delete(p);
      this.backlog -= batch.length;
      if (this.backlog < LOW_WATER) this.onLow();
    });
    this.inFlight.add(p);
  }

  async drain(): Promise<void> {
    this.flush();
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  private async publish(batch: DecodedItem[]): Promise<void> {
    const deps = this.deps;
    const now = deps.now?.() ?? Date.now();
    const { events, outcomes } = acceptItems(batch, now, deps.limits);
    const items: IngestItem[] = events.map((event) => ({ ok: true, event }));
    for (const o of outcomes) if (!o.ok) items.push(o);
    for (let attempt = 1; ; attempt++) {
      try {
        await deps.collect(items, deps, { now });
        return;
      } catch (err) {
        const retryAfter = err instanceof AppError ? Number(err.extra.headers?.["Retry-After"] ?? 1) : 1;
        if (attempt >= MAX_TRIES) {
          deps.log?.({
            level: "ERROR",
            msg: "syslog messages dropped: the queue did not take them",
            count: events.length,
            error: err instanceof Error ? err.message : String(err),
          });
          return;
        }
        await Bun.sleep(Math.max(1, retryAfter) * 1000);
      }
    }
  }
}

/** Listen for syslog on `port` (TCP and UDP; with port 0 each gets a free port of its own). */
export async function startSyslogListener(
  deps: SyslogDeps,
  opts: { port: number; hostname: string },
): Promise<SyslogListener> {
  type Conn = Socket<{ framer: SyslogTcpFramer }>;
  const connections = new Set<Conn>();
  let paused = false;
  const batcher = new SyslogBatcher(deps, () => {
    if (!paused) return;
    paused = false;
    for (const socket of connections) socket.resume();
  });
  const tcp = Bun.listen<{ framer: SyslogTcpFramer }>({
    hostname: opts.hostname,
    port: opts.port,
    socket: {
      open(socket) {
        socket.data = { framer: new SyslogTcpFramer() };
        connections.add(socket);
        if (paused) socket.pause();
      },
      data(socket, chunk) {
        const batch = socket.data.framer.push(chunk);
        for (const m of batch.messages) batcher.add(m);
        if (!paused && batcher.backlog > HIGH_WATER) {
          paused = true;
          for (const s of connections) s.pause();
        }
        if (batch.error) {
          deps.log?.({ level: "WARN", msg: "syslog connection closed", reason: batch.error });
          socket.end();
        }
      },
      close(socket) {
        connections.delete(socket);
        for (const m of socket.data.framer.end()) batcher.add(m);
      },
      error(_socket, err) {
        deps.log?.({ level: "WARN", msg: "syslog connection error", error: err.message });
      },
    },
  });
  // node:dgram for its receive buffer: at the kernel's default (~200 KiB, a few hundred datagrams) a
  // burst from rsyslog overflowed it while the process was busy storing, and UDP drops the rest.
  const udp = createSocket({
    type: opts.hostname.includes(":") ? "udp6" : "udp4",
    recvBufferSize: UDP_RECEIVE_BUFFER,
  });
  udp.on("message", (data) => batcher.add(syslogDatagram(data)));
  udp.on("error", (err) => deps.log?.({ level: "WARN", msg: "syslog UDP error", error: err.message }));
  await new Promise<void>((done, fail) => {
    udp.once("error", fail);
    udp.bind(opts.port === 0 ? 0 : tcp.port, opts.hostname, () => {
      udp.off("error", fail);
      done();
    });
  });
  return {
    tcpPort: tcp.port,
    udpPort: udp.address().port,
    async stop() {
      tcp.stop(true);
      udp.close();
      await batcher.drain();
    },
  };
}
