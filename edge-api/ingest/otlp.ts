/**
 * OpenTelemetry logs over OTLP/HTTP: `POST /v1/logs` (and under /api/v1/otlp), protobuf or JSON,
 * gzip-compressed or not, into the same pipeline as /api/v1/ingest. Answers as the OTLP spec says:
 * 200 with `partialSuccess` when some records were refused (the rest are stored), 4xx/5xx with a
 * google.rpc.Status body in the request's encoding, 503 with Retry-After when the queue is full (which
 * OTel exporters wait out and retry).
 */
import { type Context, Hono } from "hono";
import { AppError } from "../../core/errors.ts";
import { describeRejections } from "../../core/ingest/decoded.ts";
import {
  otlpAnswerJson,
  otlpAnswerProtobuf,
  otlpStatusJson,
  otlpStatusProtobuf,
  RPC_INVALID_ARGUMENT,
  RPC_RESOURCE_EXHAUSTED,
  RPC_UNAVAILABLE,
} from "../../core/ingest/otlp.ts";
import { decodeOtlpJson } from "../../core/ingest/otlp-json.ts";
import { decodeOtlpProtobuf } from "../../core/ingest/otlp-protobuf.ts";
import type { AppEnv } from "../context.ts";
import { requireIngestAuth } from "./auth.ts";
import { ingestBodyLimit, ingestBytesInFlight, mediaType, readBodyBytes } from "./body.ts";
import { publishDecoded } from "./publish.ts";

const PROTOBUF = "application/x-protobuf";

function isProtobuf(c: Context<AppEnv>): boolean {
  return mediaType(c.req.raw) === PROTOBUF;
}

/** A refused export's answer: google.rpc.Status, protobuf for a protobuf request, else JSON. */
function statusAnswer(c: Context<AppEnv>, err: AppError): Response {
  const code =
    err.status === 503
      ? RPC_UNAVAILABLE
      : err.status === 413 || err.status === 429
        ? RPC_RESOURCE_EXHAUSTED
        : RPC_INVALID_ARGUMENT;
  const headers = { ...err.extra.headers };
  if (isProtobuf(c)) {
    return new Response(otlpStatusProtobuf(code, err.detail), {
      status: err.status,
      headers: { ...headers, "content-type": PROTOBUF },
    });
  }
  return c.json(otlpStatusJson(code, err.detail), err.status as 400, headers);
}

export function otlpRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError((err, c) => {
    if (err instanceof AppError) return statusAnswer(c, err);
    c.get("deps").log?.({
      level: "ERROR",
      msg: "unhandled error",
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      request_id: c.get("requestId"),
    });
    return statusAnswer(c, new AppError("INTERNAL", "Something went wrong on our side"));
  });
  app.post("/v1/logs", requireIngestAuth(), ingestBytesInFlight, ingestBodyLimit, async (c) => {
    const deps = c.get("deps");
    const type = mediaType(c.req.raw);
    if (type !== PROTOBUF && type !== "application/json") {
      throw new AppError(
        "UNSUPPORTED_MEDIA_TYPE",
        `Content-Type must be application/x-protobuf or application/json, got ${type || "none"}`,
      );
    }
    const bytes = await readBodyBytes(c.req.raw, deps.settings.INGEST_MAX_BODY_BYTES);
    const options = { limits: deps.limits, maxEvents: deps.settings.INGEST_MAX_EVENTS };
    const decoded =
      type === PROTOBUF
        ? decodeOtlpProtobuf(bytes, options)
        : decodeOtlpJson(new TextDecoder().decode(bytes), options);
    if (!decoded.ok) throw new AppError(decoded.code, decoded.error);
    const { outcomes, rejected } = await publishDecoded(c, decoded.items);
    const message = rejected > 0 ? describeRejections(outcomes, "log records") : "";
    if (type === PROTOBUF) {
      return new Response(otlpAnswerProtobuf(rejected, message), { headers: { "content-type": PROTOBUF } });
    }
    return c.json(otlpAnswerJson(rejected, message));
  });
  return app;
}
