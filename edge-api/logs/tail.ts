import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { AppError } from "../../core/errors.ts";
import type { ArrivalPosition } from "../../core/ports/log-arrivals.ts";
import { InvalidCursorError } from "../../core/ports/log-store.ts";
import { MAX_QUERY_CHARS } from "../../core/query/ast.ts";
import { parseLogQuery } from "../../core/query/parse.ts";
import { TailCursor } from "../../core/tail/cursor.ts";
import type { AppEnv } from "../context.ts";
import { callerId } from "../middleware/rate-limit.ts";
import { problems } from "../openapi/spec.ts";
import { lastParam } from "../validate.ts";
import { RECONNECT_MS, tailStream } from "./tail-stream.ts";

/** Longest Last-Event-ID read: positions are far shorter; anything longer is not one. */
const MAX_EVENT_ID_CHARS = 128;

const TailParamsSchema = z
  .object({
    query: lastParam(z.string().max(MAX_QUERY_CHARS, `at most ${MAX_QUERY_CHARS} characters`))
      .optional()
      .describe("Which events to stream, in the query language (as search); blank or absent: every event"),
    last_event_id: lastParam(z.string().max(MAX_EVENT_ID_CHARS))
      .optional()
      .describe(
        "Resume after this event id, for clients that cannot send the Last-Event-ID header on their first request; the header wins when both are sent",
      ),
  })
  .strict();

const TailHeadersSchema = z.object({
  "last-event-id": z
    .string()
    .max(MAX_EVENT_ID_CHARS)
    .optional()
    .describe(
      "The `id:` of the last event received: the stream resumes just after it, without a gap or a repeat",
    ),
});

const EXAMPLE = `retry: ${RECONNECT_MS}
id: 00000000000004d2

id: 00000000000004d3.0190f3a1b2c37def8a0b1c2d3e4f5061
data: {"id":"0190f3a1-b2c3-7def-8a0b-1c2d3e4f5061","timestamp":"2026-11-29T10:15:00.000Z","received_at":"2026-11-29T10:15:00.012Z","service":"payment-service","level":"ERROR","message":"card declined: insufficient funds","host":null,"correlation_id":"txn-42","request_id":null,"trace_id":null,"span_id":null,"attributes":{"amount":99.99}}

: keepalive
id: 00000000000004d9

`;

const tail = createRoute({
  method: "get",
  path: "/tail",
  summary: "Live tail: each new matching event as a Server-Sent Event",
  description: [
    "A `text/event-stream` that stays open: every event stored after the stream began and matching `query` is sent once, as `data:` (the event's JSON, as search answers it) with an `id:`.",
    "Events come in the order they were stored, which is not their timestamps' order: a line shipped late, with an old timestamp, is sent when it arrives.",
    "Reconnect with the last `id:` received as the `Last-Event-ID` header (EventSource does this by itself) or the `last_event_id` parameter: the stream goes on just after that event, missing none and repeating none.",
    "A `: keepalive` comment comes after 15 s without events (TAIL_HEARTBEAT_SECONDS), sometimes with an `id:` alone that moves the resume point past events that did not match.",
    "The stream ends after 5 minutes (TAIL_MAX_SECONDS), and when the server stops; resume as above.",
    "Each caller may hold TAIL_MAX_PER_USER streams at once (5), counted per API process: 429 beyond. Opening a tail counts against its own rate limit (60 per minute), not search's.",
  ].join("\n\n"),
  request: { query: TailParamsSchema, headers: TailHeadersSchema },
  responses: {
    200: {
      description: "The stream: `retry:` and the starting `id:`, then events and keepalives",
      content: { "text/event-stream": { schema: z.string(), example: EXAMPLE } },
    },
    ...problems("RATE_LIMITED", "UNAVAILABLE"),
  },
});

/** The position a client resumes from (the header, else the parameter), or undefined for a fresh tail. */
function resumePoint(
  header: string | undefined,
  param: string | undefined,
  parse: (text: string) => ArrivalPosition,
): { text: string; position: ArrivalPosition } | undefined {
  const text = (header ?? param)?.trim();
  if (!text) return undefined;
  try {
    return { text, position: parse(text) };
  } catch (err) {
    if (!(err instanceof InvalidCursorError)) throw err;
    const field = header !== undefined ? "Last-Event-ID" : "last_event_id";
    throw new AppError("BAD_REQUEST", `${field}: not an event id this server sent; reconnect without it`, {
      errors: [{ field, message: "not an event id of this server" }],
    });
  }
}

/** GET /api/v1/logs/tail, on the logs router (before `/{id}`, which would match it too). */
export function registerTail(app: OpenAPIHono<AppEnv>): void {
  app.openapi(tail, async (c) => {
    const deps = c.get("deps");
    const live = deps.tail;
    if (!live) {
      throw new AppError(
        "UNAVAILABLE",
        "The live tail needs the Postgres log store (embedded, or DATABASE_URL without OPENSEARCH_URL or ELASTICSEARCH_URL): the search-engine stores keep no order of arrival to resume from. Poll /api/v1/logs/search with `since` meanwhile",
      );
    }
    const q = c.req.valid("query");
    const query = parseLogQuery(q.query ?? "");
    const resume = resumePoint(c.req.header("last-event-id"), q.last_event_id, (t) =>
      live.feed.arrivals.parse(t),
    );
    const caller = callerId(c);

    const leave = live.feed.join();
    let stream: ReturnType<typeof tailStream> | undefined;
    try {
      const cursor = await TailCursor.open(live.feed, query, resume?.position);
      const slot = live.slots.acquire(caller, resume?.text, cursor.position, () => stream?.end());
      if (!slot) {
        throw new AppError(
          "RATE_LIMITED",
          `At most ${live.slots.max} live tails open at once; close one (or wait for a dropped one to be noticed) and retry`,
          { headers: { "Retry-After": String(Math.ceil(live.heartbeatMs / 1000)) } },
        );
      }
      stream = tailStream(cursor, {
        heartbeatMs: live.heartbeatMs,
        maxStreamMs: live.maxStreamMs,
        startId: cursor.position,
        sent: (id) => {
          slot.lastId = id;
        },
        closed: () => {
          slot.release();
          leave();
        },
        ...(deps.log ? { log: deps.log } : {}),
      });
    } catch (err) {
      leave();
      throw err;
    }
    const ended = stream.end;
    c.req.raw.signal?.addEventListener("abort", ended, { once: true });
    return c.body(stream.body, 200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      // no-transform: no proxy may compress or rewrite it; X-Accel-Buffering: nginx passes it on at once.
      "Cache-Control": "no-store, no-transform",
      "X-Accel-Buffering": "no",
    });
  });
}
