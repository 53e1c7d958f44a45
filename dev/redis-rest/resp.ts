/**
 * A small RESP2 client for the REST bridge. RESP2 (not Bun's RESP3 RedisClient) because Upstash's
 * REST API answers in RESP2's types: a hash is a flat array, a score is a string, and simple strings,
 * bulk strings (raw bytes), integers, nil and nested arrays stay distinguishable here.
 */
import { connect, type Socket } from "node:net";

export type Reply =
  | { t: "simple"; v: string }
  | { t: "error"; v: string }
  | { t: "int"; v: number }
  | { t: "bulk"; v: Buffer | null }
  | { t: "array"; v: Reply[] | null };

const INCOMPLETE = Symbol("incomplete");

/** Parse one reply at `pos`; returns it with the next offset, or INCOMPLETE when more bytes are needed. */
function parseReply(buf: Buffer, pos: number): [Reply, number] | typeof INCOMPLETE {
  if (pos >= buf.length) return INCOMPLETE;
  const eol = buf.indexOf("\r\n", pos);
  if (eol < 0) return INCOMPLETE;
  const type = buf[pos];
  const line = buf.toString("utf8", pos + 1, eol);
  const next = eol + 2;
  switch (type) {
    case 0x2b: // +
      return [{ t: "simple", v: line }, next];
    case 0x2d: // -
      return [{ t: "error", v: line }, next];
    case 0x3a: // :
      return [{ t: "int", v: Number(line) }, next];
    case 0x24: {
      // $
      const len = Number(line);
      if (len < 0) return [{ t: "bulk", v: null }, next];
      if (buf.length < next + len + 2) return INCOMPLETE;
      return [{ t: "bulk", v: Buffer.from(buf.subarray(next, next + len)) }, next + len + 2];
    }
    case 0x2a: {
      // *
      const n = Number(line);
      if (n < 0) return [{ t: "array", v: null }, next];
      const items: Reply[] = [];
      let at = next;
      for (let i = 0; i < n; i++) {
        const r = parseReply(buf, at);
        if (r === INCOMPLETE) return INCOMPLETE;
        items.push(r[0]);
        at = r[1];
      }
      return [{ t: "array", v: items }, at];
    }
    default:
      throw new Error(`unexpected RESP type byte ${type}`);
  }
}

export function encodeCommand(args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === "string" ? Buffer.from(a, "utf8") : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

interface Waiter {
  resolve(r: Reply): void;
  reject(e: Error): void;
}

/**
 * One connection: commands are pipelined and answered in order. A batch written with one `write`
 * (MULTI … EXEC) cannot be interleaved with another request's commands, as JS runs one at a time.
 */
export class RespConnection {
  private socket: Socket | undefined;
  private ready: Promise<void> | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private readonly waiters: Waiter[] = [];
  closed = false;

  constructor(
    private readonly url: URL,
    private readonly timeoutMs: number,
  ) {}

  get pending(): number {
    return this.waiters.length;
  }

  private open(): Promise<void> {
    this.ready ??= new Promise<void>((resolve, reject) => {
      const socket = connect({ host: this.url.hostname || "127.0.0.1", port: Number(this.url.port || 6379) });
      this.socket = socket;
      socket.setNoDelay(true);
      const timer = setTimeout(
        () => socket.destroy(new Error(`connect timeout after ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.on("data", (chunk: Buffer) => this.onData(chunk));
      socket.on("error", (err) => {
        clearTimeout(timer);
        reject(err);
        this.fail(err);
      });
      socket.on("close", () => {
        clearTimeout(timer);
        reject(new Error("connection closed"));
        this.fail(new Error("connection to Redis closed"));
      });
    }).then(async () => {
      // Credentials and database from the URL, before anything else is written.
      const pre: (string | Buffer)[][] = [];
      const user = decodeURIComponent(this.url.username);
      const pass = decodeURIComponent(this.url.password);
      if (pass) pre.push(user ? ["AUTH", user, pass] : ["AUTH", pass]);
      const db = this.url.pathname.replace(/^\//, "");
      if (db && db !== "0") pre.push(["SELECT", db]);
      for (const r of await this.sendRaw(pre)) if (r.t === "error") throw new Error(r.v);
    });
    return this.ready;
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    let pos = 0;
    while (this.waiters.length) {
      let parsed: ReturnType<typeof parseReply>;
      try {
        parsed = parseReply(this.buffer, pos);
      } catch (err) {
        this.socket?.destroy(err as Error);
        return;
      }
      if (parsed === INCOMPLETE) break;
      pos = parsed[1];
      this.waiters.shift()?.resolve(parsed[0]);
    }
    this.buffer = this.buffer.subarray(pos);
  }

  private fail(err: Error): void {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  private sendRaw(commands: (string | Buffer)[][]): Promise<Reply[]> {
    if (!commands.length) return Promise.resolve([]);
    const socket = this.socket;
    if (!socket || this.closed) return Promise.reject(new Error("connection to Redis closed"));
    const replies = commands.map(
      () => new Promise<Reply>((resolve, reject) => this.waiters.push({ resolve, reject })),
    );
    socket.write(Buffer.concat(commands.map(encodeCommand)));
    const timer = setTimeout(
      () => socket.destroy(new Error(`Redis did not answer within ${this.timeoutMs} ms`)),
      this.timeoutMs,
    );
    return Promise.all(replies).finally(() => clearTimeout(timer));
  }

  /** Send commands in one write; their replies in order. */
  async send(commands: (string | Buffer)[][]): Promise<Reply[]> {
    await this.open();
    return this.sendRaw(commands);
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
  }
}

/** A few connections, each request on the least busy one; a broken connection is replaced on next use. */
export class RespPool {
  private readonly conns: (RespConnection | undefined)[];

  constructor(
    private readonly url: string,
    size = 4,
    private readonly timeoutMs = 5_000,
  ) {
    this.conns = new Array(size).fill(undefined);
  }

  send(commands: (string | Buffer)[][]): Promise<Reply[]> {
    let best = 0;
    for (let i = 0; i < this.conns.length; i++) {
      const c = this.conns[i];
      if (!c || c.closed) {
        best = i;
        break;
      }
      if (c.pending < (this.conns[best]?.pending ?? 0)) best = i;
    }
    let conn = this.conns[best];
    if (!conn || conn.closed) {
      conn = new RespConnection(new URL(this.url), this.timeoutMs);
      this.conns[best] = conn;
    }
    return conn.send(commands);
  }

  close(): void {
    for (const c of this.conns) c?.close();
  }
}
