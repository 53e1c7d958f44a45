import type { LogEvent } from "../../core/log-event.ts";
import type { LogLine } from "../../core/logger.ts";
import type { TailCursor, TailStep } from "../../core/tail/cursor.ts";

/** What a browser waits before reconnecting a dropped stream (the SSE `retry:` field), ms. */
export const RECONNECT_MS = 2_000;

/** How long a stream waits after its store read failed before it answers with a heartbeat, ms. */
const FAILED_READ_PAUSE_MS = 1_000;

export interface TailStreamOptions {
  /** A comment line after this long without events, ms. */
  heartbeatMs: number;
  /** The stream ends after this long, ms. */
  maxStreamMs: number;
  /** The id the stream starts at: where the client resumes if it drops before any event. */
  startId: string;
  /** Called with each id sent, so that a reconnect naming it can be recognised. */
  sent(id: string): void;
  /** Called once when the stream ends, whoever ends it. */
  closed(): void;
  log?: LogLine;
  now?: () => number;
}

export interface TailStream {
  body: ReadableStream<Uint8Array>;
  /** End the stream from the server's side (a takeover, a shutdown). */
  end(): void;
}

const encoder = new TextEncoder();

/**
 * Each event's JSON, made once however many tails send it: the feed hands every tail the same event
 * objects, and serialising is most of what a tail that matches much costs.
 */
const json = new WeakMap<LogEvent, string>();

function jsonOf(event: LogEvent): string {
  let text = json.get(event);
  if (text === undefined) {
    text = JSON.stringify(event);
    json.set(event, text);
  }
  return text;
}

/**
 * The Server-Sent Events body of one tail: `retry:` and the starting `id:` first, then each matching
 * event as `id: <position>` + `data: <event JSON>`, and a `: keepalive` comment after each
 * `heartbeatMs` without one (with the `id:` the tail reached meanwhile, so that a reconnect does not
 * read again what matched nothing). Pulled: the tail reads on only when the client has taken what was
 * sent, so a slow client holds nothing but its place in the arrival order. It ends after `maxStreamMs`
 * with a comment saying so; the client reconnects with Last-Event-ID and misses nothing.
 */
export function tailStream(cursor: TailCursor, o: TailStreamOptions): TailStream {
  const now = o.now ?? Date.now;
  const abort = new AbortController();
  const endsAt = now() + o.maxStreamMs;
  let lastId = o.startId;
  let finished = false;
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;

  const finish = () => {
    if (finished) return;
    finished = true;
    abort.abort();
    o.closed();
  };
  const idLine = (id: string) => {
    if (id === lastId) return "";
    lastId = id;
    o.sent(id);
    return `id: ${id}\n`;
  };
  const close = (c: ReadableStreamDefaultController<Uint8Array>, comment: string) => {
    c.enqueue(encoder.encode(`: ${comment}\n${idLine(cursor.position)}\n`));
    c.close();
    finish();
  };

  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        c.enqueue(encoder.encode(`retry: ${RECONNECT_MS}\nid: ${o.startId}\n\n`));
      },
      async pull(c) {
        const left = endsAt - now();
        if (left <= 0) {
          close(c, `stream ends after ${Math.round(o.maxStreamMs / 1000)} s; reconnect with Last-Event-ID`);
          return;
        }
        let step: TailStep;
        try {
          step = await cursor.next(Math.min(o.heartbeatMs, left), abort.signal);
        } catch (err) {
          o.log?.({ level: "ERROR", msg: "tail: reading the store failed", error: String(err) });
          await new Promise((resolve) => setTimeout(resolve, FAILED_READ_PAUSE_MS));
          step = { events: [], position: cursor.position };
        }
        if (finished) return;
        let text = "";
        for (const a of step.events) text += `${idLine(a.position)}data: ${jsonOf(a.event)}\n\n`;
        if (text === "") text = `: keepalive\n${idLine(step.position)}\n`;
        c.enqueue(encoder.encode(text));
      },
      cancel() {
        finish();
      },
    },
    // One chunk ahead at most: the next read waits until the client has taken the last.
    { highWaterMark: 1 },
  );
  return {
    body,
    end() {
      if (finished) return;
      try {
        if (controller) close(controller, "stream ended by the server; reconnect with Last-Event-ID");
      } catch {
        // Already closed by the client.
      }
      finish();
    },
  };
}
