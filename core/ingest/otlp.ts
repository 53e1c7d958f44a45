import { boundedJson } from "../bounded-json.ts";
import type { DecodedItem, DecodeFailure, DecodeOptions } from "./decoded.ts";
import { type Fields, mapRecord, type ShipperRecord } from "./mapping.ts";
import { ProtoWriter } from "./protobuf.ts";

/**
 * OpenTelemetry logs (OTLP/HTTP): what both encodings share, the mapping of one record and the
 * answers. The decoders are otlp-protobuf.ts and otlp-json.ts.
 */

/** Values nested deeper than this in one OTLP AnyValue fail their record. */
export const MAX_ANY_DEPTH = 32;

/** One log record as both encodings carry it, before mapping. */
export interface OtlpLog {
  timeMs: number;
  observedMs: number;
  severityNumber: number;
  severityText: string;
  body: unknown;
  attributes: Fields;
  eventName: string;
  traceId: string;
  spanId: string;
}

export interface OtlpScope {
  name: string;
  version: string;
  attributes: Fields;
}

export type OtlpResult = { ok: true; items: DecodedItem[] } | DecodeFailure;

/**
 * Map one OTLP log record: its attributes, then its scope's, then its resource's are the fields
 * (so `service.name` comes from the resource unless the record overrides it); `severityText` ranks as
 * `severity_text` and `severityNumber` after it; the body is the line when it is text, the most
 * specific fields when it is a map; the time is `timeUnixNano`, else `observedTimeUnixNano`, else now.
 */
export function mapLog(
  log: OtlpLog,
  scope: OtlpScope,
  resource: Fields,
  options: DecodeOptions,
): DecodedItem {
  const own: Fields = log.attributes;
  if (log.severityText !== "" && !("severity_text" in own)) own.severity_text = log.severityText;
  if (log.eventName !== "" && !("event.name" in own)) own["event.name"] = log.eventName;
  const record: ShipperRecord = { fields: [own, scope.attributes, resource] };
  const body = log.body;
  if (typeof body === "string") record.line = body;
  else if (body !== null && typeof body === "object" && !Array.isArray(body)) {
    record.fields = [body as Fields, own, scope.attributes, resource];
    record.fallbackMessage = boundedJson(body, options.limits.maxMessageChars + 1);
  } else if (body !== undefined && body !== null) {
    record.line =
      typeof body === "object" ? boundedJson(body, options.limits.maxMessageChars + 1) : String(body);
  }
  if (log.severityNumber > 0) record.otelSeverity = log.severityNumber;
  const time = log.timeMs > 0 ? log.timeMs : log.observedMs;
  if (time > 0) record.timestamp = time;
  if (log.traceId !== "") record.traceId = log.traceId;
  if (log.spanId !== "") record.spanId = log.spanId;
  const attributes: Record<string, string> = {};
  if (scope.name !== "") attributes["otel.scope.name"] = scope.name;
  if (scope.version !== "") attributes["otel.scope.version"] = scope.version;
  record.attributes = attributes;
  return mapRecord(record, options.limits);
}

/**
 * The answer to an export, per the OTLP spec: empty when every record was taken, else
 * `partialSuccess` with the number refused and why. JSON for a JSON request, protobuf for protobuf.
 */
export function otlpAnswerJson(rejected: number, message: string): object {
  return rejected === 0
    ? {}
    : { partialSuccess: { rejectedLogRecords: String(rejected), errorMessage: message } };
}

export function otlpAnswerProtobuf(rejected: number, message: string): Uint8Array<ArrayBuffer> {
  if (rejected === 0) return new Uint8Array(0);
  const partial = new ProtoWriter().varint(1, rejected).string(2, message).finish();
  return new ProtoWriter().bytes(1, partial).finish();
}

/** gRPC status codes OTLP/HTTP error bodies carry. */
export const RPC_INVALID_ARGUMENT = 3;
export const RPC_RESOURCE_EXHAUSTED = 8;
export const RPC_UNAVAILABLE = 14;

/** A refused request's body: google.rpc.Status, as OTLP/HTTP wants for 4xx and 5xx answers. */
export function otlpStatusJson(code: number, message: string): object {
  return { code, message };
}

export function otlpStatusProtobuf(code: number, message: string): Uint8Array<ArrayBuffer> {
  return new ProtoWriter().varint(1, code).string(2, message).finish();
}
