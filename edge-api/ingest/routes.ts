import { createRoute } from "@hono/zod-openapi";
import { AppError } from "../../core/errors.ts";
import { IngestResultSchema } from "../../core/logs/schema.ts";
import type { IngestItem } from "../../core/ports/collector.ts";
import { router } from "../openapi/router.ts";
import { BEARER, json, problems } from "../openapi/spec.ts";
import { describeJsonError, parseJsonText } from "../validate.ts";
import { requireIngestAuth } from "./auth.ts";
import { ingestBodyLimit, readBodyText } from "./body.ts";

const NDJSON_TYPES = new Set([
  "application/x-ndjson",
  "application/ndjson",
  "application/jsonl",
  "application/json-lines",
]);

function splitNdjson(text: string): IngestItem[] {
  const items: IngestItem[] = [];
  let lineNo = 0;
  for (const line of text.split("\n")) {
    lineNo++;
    const trimmed = line.trim();
    if (trimmed === "") continue;
    try {
      items.push({ ok: true, value: JSON.parse(trimmed) });
    } catch {
      items.push({ ok: false, error: `line ${lineNo}: not valid JSON (${describeJsonError(trimmed)})` });
    }
  }
  return items;
}

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
  middleware: [requireIngestAuth(), ingestBodyLimit] as const,
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
      const parsed = parseJsonText(await readBodyText(c.req.raw, maxBodyBytes));
      single = !Array.isArray(parsed);
      items = (Array.isArray(parsed) ? parsed : [parsed]).map((value) => ({ ok: true, value }));
    } else if (NDJSON_TYPES.has(type)) {
      items = splitNdjson(await readBodyText(c.req.raw, maxBodyBytes));
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
