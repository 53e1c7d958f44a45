import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { AppError } from "../../core/errors.ts";
import type { AppEnv } from "../context.ts";

/** The body's limit comes from the deployment's settings (INGEST_MAX_BODY_BYTES), for every way in. */
export const ingestBodyLimit: MiddlewareHandler<AppEnv> = (c, next) => {
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

/** The media type of a request without its parameters, lower case ("" when none). */
export function mediaType(req: Request): string {
  return (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
}

/**
 * The body's bytes, inflated when shippers compress it (`Content-Encoding: gzip` or `deflate`, as
 * Vector, Fluent Bit, Beats and OpenTelemetry exporters do). The inflated size is held to the same limit
 * as the body itself, read by read, so a small compressed bomb cannot fill memory. `snappy` is passed
 * through as it came: Loki's protobuf is snappy whatever the header says, and its route inflates it.
 */
export async function readBodyBytes(req: Request, maxBytes: number): Promise<Uint8Array> {
  const encoding = (req.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  if (encoding === "identity" || encoding === "" || encoding === "snappy") {
    return new Uint8Array(await req.arrayBuffer());
  }
  if (encoding !== "gzip" && encoding !== "deflate") {
    throw new AppError(
      "UNSUPPORTED_MEDIA_TYPE",
      `Content-Encoding must be gzip, deflate or identity, got ${encoding}`,
    );
  }
  if (!req.body) return new Uint8Array(0);
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
  return bytes;
}

/** The body as UTF-8 text, inflated as `readBodyBytes` does. */
export async function readBodyText(req: Request, maxBytes: number): Promise<string> {
  const encoding = (req.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  if (encoding === "identity" || encoding === "") return req.text();
  return new TextDecoder().decode(await readBodyBytes(req, maxBytes));
}
