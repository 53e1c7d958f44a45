import { z } from "zod";
import { boundedJson } from "./bounded-json.ts";
import { isUuid, uuidv7, uuidv7Keyed } from "./ids.ts";
import { LEVELS, type Level, levelFromOtel, normalizeLevel } from "./level.ts";

/** Limits on one event. Every one is configurable (see core/config.ts). */
export interface EventLimits {
  /** Longest message, in characters. */
  maxMessageChars: number;
  /** Most attributes on one event (extra top-level fields count as attributes). */
  maxAttributes: number;
  /** Longest attribute string value, in characters. */
  maxAttributeValueChars: number;
  /** Oldest accepted timestamp, as an age in milliseconds (the retention period). */
  maxAgeMs: number;
  /** How far in the future a timestamp may be, in milliseconds (clock skew). */
  maxFutureMs: number;
}

export const DEFAULT_EVENT_LIMITS: EventLimits = {
  maxMessageChars: 32_768,
  maxAttributes: 64,
  maxAttributeValueChars: 4_096,
  maxAgeMs: 30 * 86_400_000,
  maxFutureMs: 86_400_000,
};

const ID_FIELD = z.string().trim().min(1).max(256);
const AttributeValue = z.union([z.string(), z.number(), z.boolean()]);

/** What a shipper sends: one log event. Unknown top-level fields are kept as attributes. */
export const LogEventInputSchema = z
  .object({
    timestamp: z
      .union([z.string(), z.number()])
      .optional()
      .describe("ISO-8601, or epoch seconds/ms/µs/ns (told apart by magnitude); missing means now"),
    service: z.string().trim().min(1).max(128).describe("The service that wrote the line"),
    level: z
      .union([z.string(), z.number()])
      .optional()
      .describe(
        "DEBUG/INFO/WARNING/ERROR/CRITICAL or an alias (WARN, ERR, FATAL, …), syslog 0–7; default INFO",
      ),
    severity_number: z.number().int().min(1).max(24).optional().describe("OpenTelemetry SeverityNumber"),
    message: z.string().min(1),
    host: ID_FIELD.optional(),
    correlation_id: ID_FIELD.optional(),
    request_id: ID_FIELD.optional(),
    trace_id: ID_FIELD.optional(),
    span_id: ID_FIELD.optional(),
    attributes: z.record(z.string().min(1).max(128), AttributeValue).optional(),
  })
  .loose()
  .meta({
    example: {
      timestamp: "2026-11-27T10:15:00.123Z",
      service: "payment-service",
      level: "ERROR",
      message: "card declined: insufficient funds",
      correlation_id: "c0ffee00-1111-4222-8333-444455556666",
      attributes: { latency_ms: 412, region: "eu-west-1" },
    },
  });
export type LogEventInput = z.infer<typeof LogEventInputSchema>;

/**
 * The latest time a stored event may carry, 9999-12-31T23:59:59.999Z: Postgres partitions and
 * search-engine day indices are named with four-digit years.
 */
export const MAX_EVENT_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Whether `text` is a time a stored event may carry: a date from 1970 to the end of 9999. */
export function isEventTime(text: string): boolean {
  const ms = Date.parse(text);
  return ms >= 0 && ms <= MAX_EVENT_TIME_MS;
}

/**
 * The string formats of a stored event's fields. The schema refines with them, and the indexer's fast
 * check (log-event-check.ts) runs the same functions: one definition, two readers.
 */
export const LOG_EVENT_FORMATS = {
  id: { test: isUuid, message: "not a UUID" },
  timestamp: { test: isEventTime, message: "not a date" },
  received_at: { test: isEventTime, message: "not a date" },
} as const;
const formatted = (field: keyof typeof LOG_EVENT_FORMATS) =>
  z.string().refine(LOG_EVENT_FORMATS[field].test, LOG_EVENT_FORMATS[field].message);

/** A stored log event, as every API returns it and as the indexer reads it from the queue. */
export const LogEventSchema = z
  .object({
    id: formatted("id").describe("Time-ordered UUIDv7 assigned by LogFlow"),
    timestamp: formatted("timestamp").describe(
      "ISO-8601 UTC: three fractional digits, six when the time has microseconds (2026-12-03T10:00:00.123456Z)",
    ),
    received_at: formatted("received_at"),
    service: z.string(),
    level: z.enum(LEVELS),
    message: z.string(),
    host: z.string().nullable(),
    correlation_id: z.string().nullable(),
    request_id: z.string().nullable(),
    trace_id: z.string().nullable(),
    span_id: z.string().nullable(),
    attributes: z.record(z.string(), AttributeValue),
    pattern: z
      .string()
      .optional()
      .describe(
        "The id of the template the message belongs to (GET /api/v1/logs/patterns); absent on events stored before patterns were mined",
      ),
  })
  .meta({ id: "LogEvent" });
export type LogEvent = z.infer<typeof LogEventSchema>;

/** The identifiers an event may carry, each null where absent: as stored and as the API answers. */
export type EventIds = Pick<LogEvent, "host" | "correlation_id" | "request_id" | "trace_id" | "span_id">;

/** An event's (or a stored row's) identifiers with null for each one it lacks. */
export function idsOf(e: { [K in keyof EventIds]?: string | null }): EventIds {
  return {
    host: e.host ?? null,
    correlation_id: e.correlation_id ?? null,
    request_id: e.request_id ?? null,
    trace_id: e.trace_id ?? null,
    span_id: e.span_id ?? null,
  };
}

const KNOWN = new Set(Object.keys(LogEventInputSchema.shape));
const ALIASES: [alias: string, field: string][] = [
  ["@timestamp", "timestamp"],
  ["time", "timestamp"],
  ["ts", "timestamp"],
  ["msg", "message"],
  ["severity", "level"],
  ["severity_text", "level"],
  ["lvl", "level"],
  ["correlationId", "correlation_id"],
  ["requestId", "request_id"],
  ["traceId", "trace_id"],
  ["spanId", "span_id"],
  ["severityNumber", "severity_number"],
];

/**
 * Parse a timestamp given as ISO-8601 text or an epoch number in s, ms, µs or ns, to epoch milliseconds
 * with the microseconds as a fraction (`1796292000123.456`); digits below the microsecond are cut. Null
 * if unreadable. A double holds a µs-exact millisecond count until the year 2255, past any time ingest
 * accepts (RETENTION_DAYS back, a day ahead).
 */
export function parseTimestamp(value: string | number): number | null {
  let n: number;
  if (typeof value === "number") n = value;
  else if (/^\d+(\.\d+)?$/.test(value.trim())) {
    const text = value.trim();
    // Whole nanoseconds as text: exactly, since as a number 19 digits would lose the microseconds.
    if (/^\d{18,20}$/.test(text)) return Number(text.slice(0, -3)) / 1000;
    n = Number(text);
  } else {
    // Date.parse accepts many loose formats; insist on an ISO-8601 date first.
    if (!/^\d{4}-\d{2}-\d{2}/.test(value.trim())) return null;
    const ms = Date.parse(value);
    if (!Number.isFinite(ms)) return null;
    // Date.parse keeps the millisecond only; the fraction's 4th–6th digits are the microseconds.
    const fraction = /T\d{2}:\d{2}:\d{2}[.,](\d{4,})/.exec(value);
    const us = fraction ? Number(fraction[1]!.slice(3, 6).padEnd(3, "0")) : 0;
    return us === 0 ? ms : ms + us / 1000;
  }
  if (!Number.isFinite(n) || n < 0) return null;
  if (n < 1e11) return Math.round(n * 1e6) / 1000; // seconds (until year 5138)
  if (n < 1e14) return Math.round(n * 1000) / 1000; // milliseconds
  if (n < 1e17) return Math.floor(n) / 1000; // microseconds
  return Math.floor(n / 1000) / 1000; // nanoseconds
}

/**
 * An event time as LogFlow stores and answers it: ISO-8601 UTC with three fractional digits, or six when
 * the time has microseconds (`2026-12-03T10:00:00.123Z`, `2026-12-03T10:00:00.123456Z`). `t` is epoch
 * ms, the microseconds as a fraction (parseTimestamp's form).
 */
export function formatEventTime(t: number): string {
  const totalUs = Math.round(t * 1000);
  const ms = Math.floor(totalUs / 1000);
  const us = totalUs - ms * 1000;
  const iso = new Date(ms).toISOString();
  return us === 0 ? iso : `${iso.slice(0, -1)}${String(us).padStart(3, "0")}Z`;
}

/** An event's stored time text (formatEventTime's) back to epoch ms with the µs as a fraction; NaN if not a date. */
export function eventTimeOf(text: string): number {
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) return Number.NaN;
  const fraction = /T\d{2}:\d{2}:\d{2}[.,](\d{4,})/.exec(text);
  const us = fraction ? Number(fraction[1]!.slice(3, 6).padEnd(3, "0")) : 0;
  return us === 0 ? ms : ms + us / 1000;
}

/** The microseconds within the millisecond of an event time (0–999). */
export function microsWithinMs(t: number): number {
  const totalUs = Math.round(t * 1000);
  return totalUs - Math.floor(totalUs / 1000) * 1000;
}

export type ParseResult = { ok: true; event: LogEvent } | { ok: false; error: string };

function flatten(value: unknown, prefix: string, out: Record<string, unknown>, depth: number): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value) && depth < 4) {
    for (const [k, v] of Object.entries(value)) flatten(v, `${prefix}.${k}`, out, depth + 1);
  } else if (value !== null && value !== undefined) {
    out[prefix] = typeof value === "object" ? boundedJson(value) : value;
  }
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.join(".") || "event";
  if (issue.code === "invalid_type" && issue.input === undefined) return `${path}: is required`;
  return `${path}: ${issue.message}`;
}

/** A batch's events share one `now`: its text is made once, not once per event. */
let lastNow = Number.NaN;
let lastIso = "";
function isoOf(now: number): string {
  if (now !== lastNow) {
    lastIso = new Date(now).toISOString();
    lastNow = now;
  }
  return lastIso;
}

/**
 * Validate and normalise one incoming event. Never throws: a bad event yields a reason a person can
 * act on, so that one bad line never takes the rest of its batch down. `idKey`, when the shipper named
 * the event (an Elasticsearch `_id`), makes its id a function of that name and its time, so that a
 * replay of the same request stores nothing new.
 */
export function parseLogEvent(
  raw: unknown,
  now: number,
  limits: EventLimits = DEFAULT_EVENT_LIMITS,
  idKey?: string,
): ParseResult {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return { ok: false, error: "event: must be a JSON object" };
  }
  const input: Record<string, unknown> = {};
  const fields = raw as Record<string, unknown>;
  for (const k in fields) {
    const v = fields[k];
    if (v !== null && Object.hasOwn(fields, k)) input[k] = v;
  }
  for (const [alias, field] of ALIASES) {
    if (input[field] === undefined && input[alias] !== undefined) input[field] = input[alias];
    delete input[alias];
  }
  const parsed = LogEventInputSchema.safeParse(input);
  if (!parsed.success) return { ok: false, error: parsed.error.issues.map(describeIssue).join("; ") };
  return completeLogEvent(parsed.data, now, limits, idKey);
}

/**
 * The checks and normalisation after the schema: message length, time range, level, attributes, id.
 * For input the schema already holds to: what `parseLogEvent` parsed, or what the shipper mapping
 * (core/ingest/mapping.ts) built, which skips the schema's cost per event.
 */
export function completeLogEvent(
  e: LogEventInput,
  now: number,
  limits: EventLimits = DEFAULT_EVENT_LIMITS,
  idKey?: string,
): ParseResult {
  if (e.message.length > limits.maxMessageChars) {
    return { ok: false, error: `message: longer than ${limits.maxMessageChars} characters` };
  }

  let ts = now;
  if (e.timestamp !== undefined) {
    const parsedTs = parseTimestamp(e.timestamp);
    if (parsedTs === null) return { ok: false, error: "timestamp: not ISO-8601 nor epoch s/ms/µs/ns" };
    ts = parsedTs;
  }
  if (ts < now - limits.maxAgeMs) {
    return {
      ok: false,
      error: `timestamp: older than the retention period (${Math.round(limits.maxAgeMs / 86_400_000)} days)`,
    };
  }
  if (ts > now + limits.maxFutureMs) return { ok: false, error: "timestamp: too far in the future" };

  let level: Level | null = "INFO";
  if (e.level !== undefined) level = normalizeLevel(e.level);
  else if (e.severity_number !== undefined) level = levelFromOtel(e.severity_number);
  if (level === null) {
    return { ok: false, error: `level: unknown level ${JSON.stringify(e.level)} (use ${LEVELS.join(", ")})` };
  }

  const attributes: Record<string, string | number | boolean> = { ...(e.attributes ?? {}) };
  const extra: Record<string, unknown> = {};
  for (const k in e) {
    if (!KNOWN.has(k) && Object.hasOwn(e, k)) flatten((e as Record<string, unknown>)[k], k, extra, 0);
  }
  for (const k in extra) {
    if (attributes[k] === undefined) attributes[k] = extra[k] as string | number | boolean;
  }
  const keys = Object.keys(attributes);
  if (keys.length > limits.maxAttributes) {
    return { ok: false, error: `attributes: more than ${limits.maxAttributes} attributes` };
  }
  for (const k of keys) {
    const v = attributes[k];
    if (k.length > 128) return { ok: false, error: `attributes: key longer than 128 characters` };
    if (typeof v === "string" && v.length > limits.maxAttributeValueChars) {
      return { ok: false, error: `attributes.${k}: longer than ${limits.maxAttributeValueChars} characters` };
    }
    if (typeof v === "number" && !Number.isFinite(v))
      return { ok: false, error: `attributes.${k}: not finite` };
  }

  return {
    ok: true,
    event: {
      id: idKey === undefined ? uuidv7(ts) : uuidv7Keyed(ts, idKey),
      timestamp: formatEventTime(ts),
      received_at: isoOf(now),
      service: e.service,
      level,
      message: e.message,
      ...idsOf(e),
      attributes,
    },
  };
}
