import { createRoute } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { AppError } from "../../core/errors.ts";
import { readJsonItems, readNdjsonItems } from "../../core/ingest/json-items.ts";
import { IngestResultSchema } from "../../core/logs/schema.ts";
import type { IngestItem } from "../../core/ports/collector.ts";
import type { AppEnv } from "../context.ts";
import { requireAuth } from "../middleware/auth.ts";
import { router } from "../openapi/router.ts";
import { BEARER, json, problems } from "../openapi/spec.ts";

const NDJSON_TYPES = new Set([
  "application/x-ndjson",
  "application/ndjson",
  "application/jsonl",
  "application/json-lines",
]);

/**
 * The body as text, inflated when shippers compress it (`Content-Encoding: gzip` or `deflate`, as
 * Vector, Fluent Bit and OpenTelemetry exporters do). The inflated size is held to the same limit as
 * the body itself, read by read, so a small compressed bomb cannot fill memory.
 */
async function readBodyText(req: Request, maxBytes: number): Promise<string> {
  const encoding = (req.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  if (encoding === "identity" || encoding === "") return req.text();
  if (encoding !== "gzip" && encoding !== "deflate") {
    throw new AppError(
      "UNSUPPORTED_MEDIA_TYPE",
      `Content-Encoding must be gzip, deflate or identity, got ${encoding}`,
    );
  }
  if (!req.body) return "";
  const reader = req.body.pipeThrough(new DecompressionStream(encoding)).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new AppError(
          "PAYLOAD_TOO_LARGE",
          `Body inflates to more than ${maxBytes} bytes; send smaller batches`,
        );
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError("BAD_REQUEST", `Body is not valid ${encoding} data`);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

/** The body's limit comes from the deployment's settings (INGEST_MAX_BODY_BYTES). */
const ingestBodyLimit: MiddlewareHandler<AppEnv> = (c, next) => {
  const maxSize = c.get("deps").settings.INGEST_MAX_BODY_BYTES;
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new AppError("PAYLOAD_TOO_LARGE", `Body larger than ${maxSize} bytes; send smaller batches`);
    },
  })(c, next);
};

/**
 * Bounds the ingest bodies this process holds at once (INGEST_MAX_BYTES_IN_FLIGHT): a body's text, its
 * parsed events and their store rows take several times its size, so a burst of big requests would
 * otherwise take memory in proportion. Past the bound a request is answered 503 with Retry-After before
 * its body is read (shippers retry); one request alone is always let through. A body counts for its
 * Content-Length, or for INGEST_MAX_BODY_BYTES when that is not known in advance (chunked, compressed).
 */
function ingestInFlight(): MiddlewareHandler<AppEnv> {
  let inFlight = 0;
  return async (c, next) => {
    const { INGEST_MAX_BYTES_IN_FLIGHT: limit, INGEST_MAX_BODY_BYTES: maxBody } = c.get("deps").settings;
    const length = Number(c.req.header("content-length"));
    const identity = (c.req.header("content-encoding") ?? "identity").trim().toLowerCase() === "identity";
    const bytes = identity && Number.isFinite(length) && length >= 0 ? Math.min(length, maxBody) : maxBody;
    if (inFlight > 0 && inFlight + bytes > limit) {
      throw new AppError(
        "UNAVAILABLE",
        `${inFlight} bytes of ingest requests are being processed; the limit is ${limit} (INGEST_MAX_BYTES_IN_FLIGHT). Retry after the delay in Retry-After`,
        { headers: { "Retry-After": "1" } },
      );
    }
    inFlight += bytes;
    try {
      await next();
    } finally {
      inFlight -= bytes;
    }
  };
}

/**
 * The bound every ingest route of this process shares (memory is the process's): the protocol routes
 * (`_bulk`, OTLP, Loki) put it in their middleware too.
 */
export const ingestBytesInFlight = ingestInFlight();

// Each event is judged on its own (by the collector, against LogEventInputSchema), never the body whole:
// the body is described here, and read by the handler (NDJSON, compressed bodies).
const events = {
  oneOf: [
    { $ref: "#/components/schemas/LogEventInput" },
    { type: "array" as const, items: { $ref: "#/components/schemas/LogEventInput" } },
  ],
};

const ingest = createRoute({
  method: "post",
  path: "/",
  summary: "Ship logs: one event, an array, or NDJSON (gzip/deflate accepted)",
  description:
    "Each event is judged on its own: valid events are stored even when others are rejected. The answer comes once the accepted events are committed. Accepts a user session or an API key with the ingest scope.",
  security: BEARER,
  middleware: [requireAuth({ scope: "ingest" }), ingestBytesInFlight, ingestBodyLimit] as const,
  request: {
    body: {
      required: true,
      content: {
        "application/json": {
          schema: events,
          example: [
            {
              service: "payment-service",
              level: "ERROR",
              message: "card declined",
              correlation_id: "txn-42",
            },
          ],
        },
        "application/x-ndjson": { schema: { type: "string", description: "one event per line" } },
      },
    },
  },
  responses: {
    200: json(IngestResultSchema, "Per-event verdicts", { accepted: 1, rejected: 0, errors: [] }),
    ...problems(
      "FORBIDDEN",
      "INVALID_JSON",
      "BAD_REQUEST",
      "VALIDATION_FAILED",
      "PAYLOAD_TOO_LARGE",
      "UNSUPPORTED_MEDIA_TYPE",
      "UNAVAILABLE",
    ),
  },
});

/**
 * POST /api/v1/ingest: one JSON object, a JSON array, or NDJSON. Each event is judged on its own
 * (like Elasticsearch's _bulk): valid ones are stored even when others are rejected, and the answer
 * comes only once the accepted events are committed.
 */
export function ingestRoutes() {
  const app = router("logs");
  app.openapi(ingest, async (c) => {
    const deps = c.get("deps");
    const maxBodyBytes = deps.settings.INGEST_MAX_BODY_BYTES;
    const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    let items: IngestItem[];
    let single = false;
    if (type === "application/json") {
      ({ items, single } = await readJsonItems(await readBodyText(c.req.raw, maxBodyBytes)));
    } else if (NDJSON_TYPES.has(type)) {
      items = await readNdjsonItems(await readBodyText(c.req.raw, maxBodyBytes));
    } else {
      throw new AppError(
        "UNSUPPORTED_MEDIA_TYPE",
        `Content-Type must be application/json (an event or an array) or application/x-ndjson, got ${type || "none"}`,
      );
    }
    const max = deps.settings.INGEST_MAX_EVENTS;
    if (items.length > max) {
      throw new AppError("PAYLOAD_TOO_LARGE", `${items.length} events in one request; the limit is ${max}`);
    }

    // Validated, normalised and published by the collector (stream-jobs/collector).
    const body = await deps.collect(items, deps, {
      now: deps.now?.() ?? Date.now(),
      requestId: c.get("requestId"),
    });
    if (single && body.rejected === 1) {
      throw new AppError("VALIDATION_FAILED", body.errors[0]!.error, { errors: body.errors });
    }
    return c.json(body, 200);
  });
  return app;
}
