/**
 * What the API answers about logs: ingest verdicts, search pages, context around a line, and a request
 * followed across services by its correlation id. The event itself is `LogEventSchema` (log-event.ts).
 */
import { z } from "zod";
import { LogEventSchema } from "../log-event.ts";

/** POST /api/v1/ingest: a verdict per event (only the rejected ones are listed). */
export const IngestResultSchema = z.object({
  accepted: z.number().int(),
  rejected: z.number().int(),
  errors: z
    .array(z.object({ index: z.number().int(), error: z.string() }))
    .describe("the rejected events by their place in the request; at most 100 are listed"),
});
export type IngestResult = z.infer<typeof IngestResultSchema>;
export type IngestItemError = IngestResult["errors"][number];

/** POST /api/v1/ingest's query: the service of `text/plain` lines that name none. */
export const IngestQuerySchema = z.object({
  service: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe(
      "text/plain only: the service of lines that name none (also the X-Service header); else unknown",
    ),
});

/** GET /api/v1/logs/search: one page, newest first, with the exact total of all pages. */
export const LogSearchResultSchema = z.object({
  total: z.number().int(),
  logs: z.array(LogEventSchema),
  next_cursor: z.string().nullable().describe("pass as `cursor` for the next (older) page; null on the last"),
  took_ms: z.number(),
});
export type LogSearchResult = z.infer<typeof LogSearchResultSchema>;

/** GET /api/v1/logs/recent. */
export const RecentLogsSchema = z.object({
  logs: z.array(LogEventSchema).describe("newest first"),
  count: z.number().int(),
});

/** GET /api/v1/logs/{id}/context: the lines of the same service around one log, oldest first. */
export const LogContextSchema = z.object({
  log: LogEventSchema,
  service: z.string(),
  before: z.array(LogEventSchema).describe("oldest first, ending just before the log"),
  after: z.array(LogEventSchema).describe("oldest first, starting just after the log"),
});
export type LogContext = z.infer<typeof LogContextSchema>;

/** GET /api/v1/correlation/trace/{id}: every log of a correlation id, oldest first, by service and hop. */
export const CorrelationTraceSchema = z.object({
  correlation_id: z.string(),
  total: z.number().int(),
  truncated: z.boolean().describe("more logs matched than are listed"),
  first_seen: z.string(),
  last_seen: z.string(),
  duration_ms: z.number(),
  services: z.array(
    z.object({ service: z.string(), count: z.number().int(), first: z.string(), last: z.string() }),
  ),
  hops: z
    .array(z.object({ from: z.string(), to: z.string(), at: z.string(), gap_ms: z.number() }))
    .describe("each change of service, with the time since the previous log"),
  logs: z.array(LogEventSchema).describe("oldest first: the order the request travelled"),
});
export type CorrelationTrace = z.infer<typeof CorrelationTraceSchema>;
