import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { AppError } from "../../core/errors.ts";
import { readJsonItems, readNdjsonItems } from "../../core/ingest/json-items.ts";
import { decodePlainLines } from "../../core/ingest/plain-lines.ts";
import { IngestQuerySchema, type IngestResult, IngestResultSchema } from "../../core/logs/schema.ts";
import type { IngestItem } from "../../core/ports/collector.ts";
import type { AppEnv } from "../context.ts";
import { router } from "../openapi/router.ts";
import { BEARER, json, problems } from "../openapi/spec.ts";
import { requireIngestAuth } from "./auth.ts";
import { ingestBodyLimit, ingestBytesInFlight, readBodyText } from "./body.ts";
import { publishDecoded } from "./publish.ts";

const NDJSON_TYPES = new Set([
  "application/x-ndjson",
  "application/ndjson",
  "application/jsonl",
  "application/json-lines",
]);

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
  summary: "Ship logs: one event, an array, NDJSON or plain text lines (gzip/deflate accepted)",
  description:
    "Each event is judged on its own: valid events are stored even when others are rejected. The answer comes once the accepted events are committed. `text/plain` is one event per line: its time and level are read from the line where a common format shows them (ISO times, ERROR/WARN words, Apache/nginx access lines), else now and INFO; a line that is a JSON object is read as an event. Accepts a user session or an API key with the ingest scope (Bearer, ApiKey, or Basic with the key as password).",
  security: BEARER,
  middleware: [requireIngestAuth(), ingestBytesInFlight, ingestBodyLimit] as const,
  request: {
    query: IngestQuerySchema,
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
        "text/plain": {
          schema: { type: "string", description: "one log line per line, as an application wrote it" },
          example: '127.0.0.1 - - [29/Nov/2026:10:00:00 +0000] "GET /cart HTTP/1.1" 503 12',
        },
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

const MAX_REPORTED_ERRORS = 100;

/** `text/plain`: one event per line, mapped as every shipper's records are (core/ingest/plain-lines.ts). */
async function plainLines(c: Context<AppEnv>, text: string): Promise<IngestResult> {
  const deps = c.get("deps");
  const now = deps.now?.() ?? Date.now();
  const service = c.req.query("service") ?? c.req.header("x-service");
  const decoded = decodePlainLines(text, {
    limits: deps.limits,
    maxEvents: deps.settings.INGEST_MAX_EVENTS,
    now,
    ...(service ? { service } : {}),
  });
  if (!decoded.ok) throw new AppError(decoded.code, decoded.error);
  const { outcomes, accepted, rejected } = await publishDecoded(c, decoded.items);
  const errors: IngestResult["errors"] = [];
  outcomes.forEach((o, index) => {
    if (!o.ok && errors.length < MAX_REPORTED_ERRORS) errors.push({ index, error: o.error });
  });
  return { accepted, rejected, errors };
}

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
    } else if (type === "text/plain") {
      return c.json(await plainLines(c, await readBodyText(c.req.raw, maxBodyBytes)), 200);
    } else {
      throw new AppError(
        "UNSUPPORTED_MEDIA_TYPE",
        `Content-Type must be application/json (an event or an array), application/x-ndjson or text/plain, got ${type || "none"}`,
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
