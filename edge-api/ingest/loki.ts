/**
 * Loki's push API: `POST /loki/api/v1/push` (and under /api/v1/loki), JSON (gzip or not) or protobuf
 * (snappy-compressed, as Promtail, Alloy and the Loki client libraries send it), into the same
 * pipeline as /api/v1/ingest. 204 once every entry is stored; when some were refused, the others are
 * stored and the answer is a 400 naming them, as Loki answers (clients do not retry a 400, and must not:
 * the rest is in). Errors are plain text, as Loki's are.
 */
import { Hono } from "hono";
import { AppError } from "../../core/errors.ts";
import { describeRejections } from "../../core/ingest/decoded.ts";
import { decodeLokiJson, decodeLokiProtobuf } from "../../core/ingest/loki.ts";
import type { AppEnv } from "../context.ts";
import { requireIngestAuth } from "./auth.ts";
import { ingestBodyLimit, ingestBytesInFlight, mediaType, readBodyBytes } from "./body.ts";
import { publishDecoded } from "./publish.ts";

export function lokiRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError((err, c) => {
    if (err instanceof AppError) return c.text(`${err.detail}\n`, err.status as 400, err.extra.headers);
    c.get("deps").log?.({
      level: "ERROR",
      msg: "unhandled error",
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      request_id: c.get("requestId"),
    });
    return c.text("Something went wrong on our side\n", 500);
  });
  app.post("/loki/api/v1/push", requireIngestAuth(), ingestBytesInFlight, ingestBodyLimit, async (c) => {
    const deps = c.get("deps");
    const type = mediaType(c.req.raw);
    const maxBytes = deps.settings.INGEST_MAX_BODY_BYTES;
    const options = { limits: deps.limits, maxEvents: deps.settings.INGEST_MAX_EVENTS };
    let decoded: ReturnType<typeof decodeLokiJson>;
    if (type === "application/x-protobuf") {
      decoded = decodeLokiProtobuf(await readBodyBytes(c.req.raw, maxBytes), { ...options, maxBytes });
    } else if (type === "application/json" || type === "") {
      decoded = decodeLokiJson(new TextDecoder().decode(await readBodyBytes(c.req.raw, maxBytes)), options);
    } else {
      throw new AppError(
        "UNSUPPORTED_MEDIA_TYPE",
        `Content-Type must be application/x-protobuf (snappy) or application/json, got ${type}`,
      );
    }
    if (!decoded.ok) throw new AppError(decoded.code, decoded.error);
    const { outcomes, rejected } = await publishDecoded(c, decoded.items);
    if (rejected > 0) return c.text(`${describeRejections(outcomes, "entries")}\n`, 400);
    return c.body(null, 204);
  });
  return app;
}
