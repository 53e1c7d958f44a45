import type { LogEvent } from "../../core/log-event.ts";
import { type SseItem, SseParser } from "../../web/src/data/tail.ts";

/** An event of a tail as a client received it. */
export interface TailedEvent {
  id: string;
  event: LogEvent;
}

/** A Server-Sent Events answer being read: what came so far, and a way to wait for more. */
export interface SseSession {
  /** Every message and comment so far, in order. */
  readonly items: SseItem[];
  /** The id a reconnect would send (the last `id:` of a finished block). */
  readonly lastEventId: string;
  /** The `retry:` the server sent, ms. */
  readonly retryMs: number | undefined;
  /** Whether the server ended the stream. */
  readonly ended: boolean;
  /** The messages so far as events. */
  events(): TailedEvent[];
  /** Wait until `done(items)` holds, or throw after `timeoutMs` saying what came. */
  until(done: (s: SseSession) => boolean, timeoutMs?: number): Promise<void>;
  /** Stop reading (the client goes away). */
  close(): Promise<void>;
}

/** Read a streamed answer with the dashboard's own parser (web/src/data/tail.ts). */
export function readSse(res: Response): SseSession {
  if (!res.body) throw new Error(`no body (status ${res.status})`);
  const reader = res.body.getReader();
  const parser = new SseParser();
  const items: SseItem[] = [];
  let ended = false;
  // Set while `until` waits for the next chunk.
  const waiting: { wake?: () => void } = {};
  const pump = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        items.push(...parser.push(value));
        waiting.wake?.();
      }
    } catch {
      // Cancelled by close(), or the connection dropped: the stream is over either way.
    } finally {
      ended = true;
      waiting.wake?.();
    }
  })();
  const session: SseSession = {
    items,
    get lastEventId() {
      return parser.lastEventId;
    },
    get retryMs() {
      return parser.retryMs;
    },
    get ended() {
      return ended;
    },
    events: () =>
      items.flatMap((i) =>
        i.type === "message" ? [{ id: i.lastEventId, event: JSON.parse(i.data) as LogEvent }] : [],
      ),
    async until(done, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!done(session)) {
        const left = deadline - Date.now();
        if (left <= 0 || ended) {
          throw new Error(
            `${ended ? "stream ended" : `no match within ${timeoutMs} ms`}; received: ${JSON.stringify(items)}`,
          );
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiting.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        waiting.wake = undefined;
      }
    },
    async close() {
      await reader.cancel().catch(() => {});
      await pump;
    },
  };
  return session;
}

/** The messages of a tail's events, in the order received. */
export const messagesOf = (s: SseSession) => s.events().map((e) => e.event.message);
