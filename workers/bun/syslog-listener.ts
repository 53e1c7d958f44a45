/**
 * The syslog listener (SYSLOG_PORT): RFC 5424 and RFC 3164 messages over TCP (octet-counted or
 * LF-framed, RFC 6587, mixed on one connection) and UDP, on one port number for both. Each message is
 * mapped as every shipper's records are (APP-NAME → service, severity → level, structured data →
 * attributes) and handed to the collector in batches, into the same pipeline as /api/v1/ingest.
 *
 * Syslog has no acknowledgement: a message is the listener's once it was read, so a batch the queue
 * refuses (full, or the store down) is retried after the queue's Retry-After for as long as the
 * listener runs, never dropped. Meanwhile, and while more than `highWater` messages wait, TCP
 * connections are not read: senders feel TCP's backpressure (rsyslog's queue then holds its messages)
 * and memory stays bounded; reading resumes once a publish succeeds and fewer than `lowWater` wait. UDP
 * cannot be held back: it has a deeper mark of its own (`udpHighWater`), past which a datagram is
 * dropped and counted (`syslog_messages_dropped_total{reason="udp_backlog"}`). Messages wait as the
 * text they arrived as and are mapped when their batch is published (an event whose message carries
 * no time gets the time it was published, as before). Only at stop, with the queue still refusing,
 * is what was read given up (logged and counted). Syslog has no authentication either: put the port
 * on a trusted network.
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
  /** Messages read and not yet published, and whether TCP connections are paused for them. */
  state(): { backlog: number; paused: boolean };
  /** Stop listening and publish what arrived (giving up after `MAX_TRIES_AT_STOP` refusals). */
  stop(): Promise<void>;
}

export interface SyslogListenerOptions {
  port: number;
  hostname: string;
  /** Past this many messages waiting to be published, TCP connections are paused. */
  highWater?: number;
  /** Paused connections are read again once fewer than this many wait (and the queue takes batches). */
  lowWater?: number;
  /** Past this many messages waiting, UDP datagrams (which cannot be held back) are dropped. */
  udpHighWater?: number;
  /** How long to wait before publishing a refused batch again, from the queue's Retry-After (seconds). */
  retryDelayMs?: (retryAfterSeconds: number) => number;
}

type SyslogDeps = Pick<AppDeps, "collect" | "queue" | "limits" | "telemetry" | "log" | "now">;

/**
 * Messages are published in batches of at most this many, or after `LINGER_MS`, with at most
 * `MAX_IN_FLIGHT` batches being published at once; the rest wait in the backlog. The shape of the
 * HTTP protocols' traffic (requests of 1,000 events from 4 clients): a sender writes faster than the
 * store commits, and with batches of up to 5,000 all published at once the group commit merged what
 * queued behind its slots into commits of ~2,500–5,000 events, fewer of them side by side (1.7 in
 * flight on Postgres against native's 2.5), and on 2 cores syslog stored 0.8 of native's events/s.
 * Four batches of 1,000 fill Postgres's four commit slots one each; on PGlite's one slot the group
 * commit still merges them.
 */
const MAX_BATCH = 1_000;
const MAX_IN_FLIGHT = 4;
const LINGER_MS = 5;
/**
 * TCP is read while fewer than HIGH_WATER messages wait: the batches in flight and as many again
 * ready to take their slots, which keeps every commit slot busy (a read is a socket's chunk, ~300 KB of
 * short lines, so up to a chunk more may wait). Reading further ahead bought nothing but messages
 * aging in memory: with a mark of 50,000 a burst was read whole and waited as mapped objects that
 * outlived the young generation (Bun's GC helper thread spent 2.9 µs per syslog event against
 * native's 1.0 in bench:protocols --diagnose on Postgres); senders hold what waits (rsyslog's queue)
 * better than we do. With 8,000 and messages waiting as text, syslog on Postgres went from 0.82 to
 * 0.94–0.95 of native's events/s (quiet, one sitting). UDP cannot be paused: it gets a deeper mark.
 */
const HIGH_WATER = 8_000;
const LOW_WATER = 6_000;
const UDP_HIGH_WATER = 50_000;
/** Once stopping, a batch the queue still refuses after this many tries is given up. */
const MAX_TRIES_AT_STOP = 3;
/** SO_RCVBUF asked for the UDP socket (the kernel caps it at net.core.rmem_max). */
const UDP_RECEIVE_BUFFER = 8 * 1024 * 1024;

const defaultRetryDelay = (retryAfterSeconds: number) => Math.max(1, retryAfterSeconds) * 1000;

/** Gathers messages from every connection and publishes them in batches, in arrival order, mapped as they go. */
class SyslogBatcher {
  /** The batch being filled, and full batches waiting for a free slot, oldest first: messages as they arrived. */
  private filling: string[] = [];
  private ready: string[][] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight = new Set<Promise<void>>();
  /** Batches the queue refused and that wait to be published again. */
  private refused = 0;
  private stopping = false;
  /** Messages added and not yet published (or given up at stop). */
  backlog = 0;

  constructor(
    private readonly deps: SyslogDeps,
    private readonly retryDelayMs: (retryAfterSeconds: number) => number,
    /** Called after every publish attempt: the listener decides whether to pause or resume. */
    private readonly changed: () => void,
  ) {}

  /** Whether the queue is refusing batches now (one waits to be tried again). */
  get refusing(): boolean {
    return this.refused > 0;
  }

  add(message: string): void {
    this.backlog++;
    this.filling.push(message);
    if (this.filling.length >= MAX_BATCH) {
      this.ready.push(this.filling);
      this.filling = [];
      this.flush();
    } else this.timer ??= setTimeout(() => this.flush(), LINGER_MS);
  }

  /**
   * Publish the waiting batches, one per free slot, then the one being filled if a slot is still free;
   * what finds no slot goes when a publish ends (the batch being filled growing meanwhile).
   */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.inFlight.size < MAX_IN_FLIGHT) {
      const batch = this.ready.shift() ?? (this.filling.length > 0 ? this.filling : undefined);
      if (!batch) return;
      if (batch === this.filling) this.filling = [];
      const p = this.publish(batch).finally(() => {
        this.inFlight.delete(p);
        this.backlog -= batch.length;
        this.changed();
        this.flush();
      });
      this.inFlight.add(p);
    }
  }

  /** Publish what waits; a batch the queue keeps refusing is given up after `MAX_TRIES_AT_STOP` more tries. */
  async drain(): Promise<void> {
    this.stopping = true;
    this.flush();
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
  }

  private async publish(batch: string[]): Promise<void> {
    const deps = this.deps;
    const now = deps.now?.() ?? Date.now();
    const options = { limits: deps.limits, maxEvents: MAX_BATCH };
    const decoded: DecodedItem[] = batch.map((message) => syslogItem(message, now, options));
    const { events, outcomes } = acceptItems(decoded, now, deps.limits);
    const items: IngestItem[] = events.map((event) => ({ ok: true, event }));
    for (const o of outcomes) if (!o.ok) items.push(o);
    let triesAtStop = 0;
    let waiting = false;
    try {
      for (;;) {
        try {
          await deps.collect(items, deps, { now });
          return;
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err);
          if (this.stopping && ++triesAtStop >= MAX_TRIES_AT_STOP) {
            deps.log?.({
              level: "ERROR",
              msg: "syslog messages dropped at stop: the queue did not take them",
              count: batch.length,
              error,
            });
            deps.telemetry?.syslogDropped("stop", batch.length);
            return;
          }
          if (!waiting) {
            waiting = true;
            this.refused++;
            this.changed(); // pause TCP at once: the queue or the store cannot keep up
            deps.log?.({ level: "WARN", msg: "syslog batch refused; retrying", count: batch.length, error });
          }
          const retryAfter = err instanceof AppError ? Number(err.extra.headers?.["Retry-After"] ?? 1) : 1;
          const delay = this.retryDelayMs(Number.isFinite(retryAfter) ? retryAfter : 1);
          // Stopping: a few quick tries, not a shutdown held up by the queue's Retry-After.
          await Bun.sleep(this.stopping ? Math.min(delay, 1_000) : delay);
        }
      }
    } finally {
      if (waiting) this.refused--;
    }
  }
}

/** Listen for syslog on `port` (TCP and UDP; with port 0 each gets a free port of its own). */
export async function startSyslogListener(
  deps: SyslogDeps,
  opts: SyslogListenerOptions,
): Promise<SyslogListener> {
  const highWater = opts.highWater ?? HIGH_WATER;
  const lowWater = Math.min(opts.lowWater ?? LOW_WATER, highWater);
  const udpHighWater = opts.udpHighWater ?? UDP_HIGH_WATER;
  type Conn = Socket<{ framer: SyslogTcpFramer }>;
  const connections = new Set<Conn>();
  let paused = false;
  /** Pause every TCP connection while the backlog is high or the queue refuses; resume when both clear. */
  const steer = () => {
    if (!paused && (batcher.backlog > highWater || batcher.refusing)) {
      paused = true;
      for (const s of connections) s.pause();
    } else if (paused && batcher.backlog < lowWater && !batcher.refusing) {
      paused = false;
      for (const s of connections) s.resume();
    }
  };
  const batcher = new SyslogBatcher(deps, opts.retryDelayMs ?? defaultRetryDelay, steer);
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
        if (!paused) steer();
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
  udp.on("message", (data) => {
    if (batcher.backlog >= udpHighWater) deps.telemetry?.syslogDropped("udp_backlog", 1);
    else batcher.add(syslogDatagram(data));
  });
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
    state: () => ({ backlog: batcher.backlog, paused }),
    async stop() {
      tcp.stop(true);
      udp.close();
      await batcher.drain();
    },
  };
}
