/**
 * Syslog framing (RFC 6587) for TCP, and UDP datagrams. Over TCP each message is either octet-counted
 * (`<length> <message>`) or ends at a line feed; the first byte of each message tells which (a digit
 * or `<`), so one connection may mix them, as RFC 6587 allows.
 */

const LF = 0x0a;
const SPACE = 0x20;
const UTF8 = new TextDecoder("utf-8");

/** Syslog messages longer than this are cut (line-framed) or refused (octet-counted). */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;

export interface FramedBatch {
  /** Whole messages found so far, as text (malformed UTF-8 becomes U+FFFD). */
  messages: string[];
  /**
   * Set when the stream cannot be followed any more (an octet count larger than allowed or not a
   * number): the listener closes the connection, since where the next message starts is unknown.
   */
  error?: string;
}

/** Splits one TCP connection's bytes into syslog messages, chunk by chunk, holding at most one message. */
export class SyslogTcpFramer {
  private pending = new Uint8Array(0);
  /** A line-framed message past the limit was emitted cut; its rest is skipped up to the next LF. */
  private skipping = false;
  private failed = false;

  constructor(private readonly maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES) {}

  push(chunk: Uint8Array): FramedBatch {
    const out: FramedBatch = { messages: [] };
    if (this.failed) return out;
    let buf = chunk;
    if (this.pending.length > 0) {
      buf = new Uint8Array(this.pending.length + chunk.length);
      buf.set(this.pending);
      buf.set(chunk, this.pending.length);
    }
    let at = 0;
    while (at < buf.length) {
      if (this.skipping) {
        const lf = buf.indexOf(LF, at);
        if (lf < 0) {
          at = buf.length;
          break;
        }
        this.skipping = false;
        at = lf + 1;
        continue;
      }
      const first = buf[at]!;
      if (first === LF || first === 0x0d || first === 0) {
        at++; // stray line ends and NUL trailers between messages
        continue;
      }
      let i = at;
      let length = 0;
      while (i < buf.length && buf[i]! >= 0x30 && buf[i]! <= 0x39 && i - at < 10) {
        length = length * 10 + (buf[i]! - 0x30);
        i++;
      }
      if (i > at && i >= buf.length) break; // digits so far: a count or a line, not known yet
      if (first !== 0x30 && i > at && buf[i] === SPACE) {
        // Octet counting: digits, a space, then exactly that many bytes. Digits not followed by a space
        // are a line that starts with a number (a time, say), read as line-framed below.
        if (length > this.maxMessageBytes) {
          return this.fail(out, `a message of ${length} bytes is longer than ${this.maxMessageBytes}`);
        }
        if (i + 1 + length > buf.length) break; // the message is not all here yet
        out.messages.push(text(buf, i + 1, i + 1 + length));
        at = i + 1 + length;
        continue;
      }
      const lf = buf.indexOf(LF, at);
      const end = lf < 0 ? buf.length : lf;
      if (end - at > this.maxMessageBytes) {
        out.messages.push(text(buf, at, at + this.maxMessageBytes));
        if (lf < 0) this.skipping = true;
        at = lf < 0 ? buf.length : lf + 1;
        continue;
      }
      if (lf < 0) break; // the line is not all here yet
      out.messages.push(text(buf, at, end));
      at = lf + 1;
    }
    this.pending = buf.slice(at);
    return out;
  }

  /** The connection closed: a last line without its LF is still a message. */
  end(): string[] {
    const rest = this.pending;
    this.pending = new Uint8Array(0);
    if (this.failed || this.skipping || rest.length === 0) return [];
    if (/^[1-9]\d{0,9} /.test(UTF8.decode(rest.subarray(0, 11)))) return []; // a cut octet-counted message
    const message = text(rest, 0, rest.length);
    return message === "" ? [] : [message];
  }

  private fail(out: FramedBatch, error: string): FramedBatch {
    this.failed = true;
    this.pending = new Uint8Array(0);
    out.error = error;
    return out;
  }
}

/** One UDP datagram is one message; trailing line ends and NULs that some senders add are dropped. */
export function syslogDatagram(bytes: Uint8Array, maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES): string {
  let end = Math.min(bytes.length, maxMessageBytes);
  while (end > 0 && (bytes[end - 1] === LF || bytes[end - 1] === 0x0d || bytes[end - 1] === 0)) end--;
  return text(bytes, 0, end);
}

function text(buf: Uint8Array, start: number, end: number): string {
  let stop = end;
  while (stop > start && (buf[stop - 1] === 0x0d || buf[stop - 1] === 0)) stop--;
  return UTF8.decode(buf.subarray(start, stop));
}
