import type { LogEvent } from "../../../core/log-event.ts";
import { ApiError, apiStream } from "./api.ts";

/** What a Server-Sent Events stream holds: dispatched messages, and comments (the API's keepalives). */
export type SseItem =
  | { type: "message"; event: string; data: string; lastEventId: string }
  | { type: "comment"; text: string };

/**
 * An incremental Server-Sent Events parser, as the HTML standard's EventSource reads a stream: lines
 * end with CRLF, LF or CR (also across chunks); `data:` lines join with newlines; an `id:` sets the last
 * event id even when no data follows (the API moves the resume point that way); `retry:` sets the
 * reconnection delay; a line starting with `:` is a comment.
 */
export class SseParser {
  /** The id a reconnect resumes from: the last `id:` of a dispatched (blank-line-ended) block. */
  lastEventId: string;
  /** The `retry:` the server asked for, ms. */
  retryMs: number | undefined;
  private readonly decoder = new TextDecoder();
  private buffer = "";
  private started = false;
  private data: string[] = [];
  private eventType = "";
  private idBuffer: string;

  constructor(lastEventId = "") {
    this.lastEventId = lastEventId;
    this.idBuffer = lastEventId;
  }

  /** Feed bytes (or text) as they come; returns what the blocks completed by them hold. */
  push(chunk: Uint8Array | string): SseItem[] {
    let text = typeof chunk === "string" ? chunk : this.decoder.decode(chunk, { stream: true });
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.buffer += text;
    const out: SseItem[] = [];
    for (;;) {
      const end = this.buffer.search(/[\r\n]/);
      if (end < 0) break;
      // A CR at the very end may be half of a CRLF whose LF is in the next chunk.
      if (this.buffer[end] === "\r" && end === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, end);
      const skip = this.buffer[end] === "\r" && this.buffer[end + 1] === "\n" ? 2 : 1;
      this.buffer = this.buffer.slice(end + skip);
      const item = this.line(line);
      if (item) out.push(item);
    }
    return out;
  }

  private line(line: string): SseItem | null {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return { type: "comment", text: line.slice(1).trimStart() };
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.eventType = value;
    else if (field === "id" && !value.includes("\0")) this.idBuffer = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.retryMs = Number(value);
    return null;
  }

  private dispatch(): SseItem | null {
    this.lastEventId = this.idBuffer;
    const data = this.data;
    const event = this.eventType || "message";
    this.data = [];
    this.eventType = "";
    if (data.length === 0) return null;
    return { type: "message", event, data: data.join("\n"), lastEventId: this.lastEventId };
  }
}

/** Where a live tail stands, for the page to show. */
export type TailState =
  | { status: "connecting" }
  | { status: "live" }
  /** Dropped or refused for now (the server restarted, 429, 503): trying again after `retryInMs`. */
  | { status: "waiting"; retryInMs: number; error?: ApiError }
  /** Refused for good (a query that does not parse, a session that ended): not retried. */
  | { status: "stopped"; error: ApiError };

export interface TailOptions {
  /** The query language, as the search box takes it; blank for every event. */
  query?: string;
  /** Resume just after this event id (one kept from an earlier tail); absent: from now on. */
  lastEventId?: string;
  /** Each new matching event, in arrival order, with the id to resume after it. */
  onEvent(event: LogEvent, id: string): void;
  onState?(state: TailState): void;
}

export interface TailHandle {
  /** Stop for good. */
  close(): void;
  /** The id a new tail would resume from (keep it to resume after a page reload). */
  readonly lastEventId: string;
}

/** The API's `retry:` until it says otherwise, ms. */
const DEFAULT_RETRY_MS = 2_000;
/** Longest wait between attempts while the API keeps failing, ms. */
const MAX_BACKOFF_MS = 30_000;

/**
 * Follow GET /api/v1/logs/tail: every new event matching `query`, each once, across reconnects. Not the
 * browser's EventSource, which cannot send the session's bearer token; the same protocol over fetch:
 * each reconnect sends the last id received as Last-Event-ID, so nothing is missed or repeated when the
 * stream ends (the API ends each after a few minutes, and when it restarts) or the network drops.
 * Waits the server's `retry:` after a drop, Retry-After after a 429 or 503, doubling up to 30 s while
 * the API cannot be reached; stops on any other refusal (a query that does not parse, an ended session).
 */
export function openTail(o: TailOptions): TailHandle {
  const abort = new AbortController();
  let lastId = o.lastEventId ?? "";
  let retryMs = DEFAULT_RETRY_MS;
  let failures = 0;
  const state = (s: TailState) => o.onState?.(s);

  const run = async () => {
    while (!abort.signal.aborted) {
      state({ status: "connecting" });
      let wait: number;
      let error: ApiError | undefined;
      const opened = Date.now();
      try {
        const query = o.query?.trim() ? `?${new URLSearchParams({ query: o.query.trim() })}` : "";
        const res = await apiStream(`/api/v1/logs/tail${query}`, {
          headers: lastId ? { "last-event-id": lastId } : {},
          signal: abort.signal,
        });
        state({ status: "live" });
        failures = 0;
        await read(
          res,
          lastId,
          (id) => (lastId = id),
          o.onEvent,
          (ms) => (retryMs = ms),
        );
        // The server ended a stream that had run a while (its time limit, a restart): go on at once.
        wait = Date.now() - opened > 5 * retryMs ? 0 : retryMs;
      } catch (err) {
        if (abort.signal.aborted) return;
        if (!(err instanceof ApiError))
          wait = retryMs; // dropped mid-stream
        else if (err.status === 0 || err.status === 429 || err.status >= 500) {
          failures++;
          error = err;
          wait = Math.max(err.retryAfterMs ?? 0, Math.min(MAX_BACKOFF_MS, retryMs * 2 ** (failures - 1)));
        } else {
          state({ status: "stopped", error: err });
          return;
        }
      }
      if (abort.signal.aborted) return;
      state(error ? { status: "waiting", retryInMs: wait, error } : { status: "waiting", retryInMs: wait });
      await sleep(wait, abort.signal);
    }
  };
  void run();
  return {
    close: () => abort.abort(),
    get lastEventId() {
      return lastId;
    },
  };
}

/** Read one stream to its end, handing each event on and keeping the resume point current. */
async function read(
  res: Response,
  from: string,
  moved: (id: string) => void,
  onEvent: TailOptions["onEvent"],
  retry: (ms: number) => void,
): Promise<void> {
  if (!res.body) return;
  const parser = new SseParser(from);
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      for (const item of parser.push(value)) {
        if (item.type !== "message") continue;
        moved(item.lastEventId);
        onEvent(JSON.parse(item.data) as LogEvent, item.lastEventId);
      }
      // An id with no data (a keepalive's) moves the resume point too.
      moved(parser.lastEventId);
      if (parser.retryMs !== undefined) retry(parser.retryMs);
    }
  } finally {
    reader.releaseLock();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
