import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { AppError } from "../../core/errors.ts";
import type { LogEvent } from "../../core/log-event.ts";
import { CSV_HEADER, csvLine } from "../../core/logs/csv.ts";
import { InvalidCursorError, type SearchQuery } from "../../core/ports/log-store.ts";
import type { AppEnv } from "../context.ts";
import { problems } from "../openapi/spec.ts";
import { intParam, lastParam } from "../validate.ts";

/** Most lines one export holds; beyond, the file ends saying so. */
export const EXPORT_MAX_ROWS = 100_000;
/** Lines read from the store per page while streaming. */
const PAGE = 1000;

const FORMATS = { csv: "text/csv; charset=utf-8", ndjson: "application/x-ndjson" } as const;

/**
 * GET /api/v1/logs/export: every line a search matches (the search's filters; not its page size),
 * newest first, streamed as CSV or NDJSON, up to EXPORT_MAX_ROWS (or `limit`). The total matching and
 * whether the file stops short are in the headers (X-Export-Total, X-Export-Truncated) and, when it
 * stops short, in its last line.
 */
export function registerExport(
  app: OpenAPIHono<AppEnv>,
  // The search's own parameters (routes.ts): one definition of the filters.
  // biome-ignore lint/suspicious/noExplicitAny: any zod object with refinements; checked where called
  searchParams: z.ZodObject<any>,
) {
  const ExportParamsSchema = searchParams.safeExtend({
    format: lastParam(z.enum(["csv", "ndjson"]))
      .default("ndjson")
      .describe("csv (RFC 4180, attributes as JSON in one column) or ndjson (one event per line)"),
    limit: intParam(1, EXPORT_MAX_ROWS)
      .default(EXPORT_MAX_ROWS)
      .describe(`Lines at most (1–${EXPORT_MAX_ROWS}, default ${EXPORT_MAX_ROWS}: the cap)`),
  });

  const route = createRoute({
    method: "get",
    path: "/export",
    summary: "Export every matching log as CSV or NDJSON, streamed (up to 100,000 lines)",
    description: [
      "The same filters as search (`query`, `service`, `level`, `since` or `start_time`/`end_time`, `correlation_id`, `trace_id`, `cursor`), newest first, all pages streamed in one answer.",
      `At most \`limit\` lines (default and cap ${EXPORT_MAX_ROWS}). \`X-Export-Total\` is the number of matching lines when the export began and \`X-Export-Truncated\` whether the file stops short of it; if so its last line says so (CSV: a line starting with \`# truncated\`; NDJSON: \`{"truncated":true,…}\`).`,
    ].join("\n\n"),
    request: { query: ExportParamsSchema },
    responses: {
      200: {
        description: "The lines",
        content: {
          "text/csv": { schema: z.string() },
          "application/x-ndjson": { schema: z.string() },
        },
      },
      ...problems(),
    },
  });

  app.openapi(route, async (c) => {
    const deps = c.get("deps");
    const q = c.req.valid("query") as Record<string, unknown> & {
      format: keyof typeof FORMATS;
      limit: number;
      query?: string;
      service?: string[];
      level?: SearchQuery["levels"];
      since?: number;
      start_time?: number;
      end_time?: number;
      correlation_id?: string;
      trace_id?: string;
      cursor?: string;
    };
    const now = deps.now?.() ?? Date.now();
    // A fixed end: lines stored while the export runs do not shift its pages.
    const filter: SearchQuery = {
      text: q.query?.trim() || undefined,
      services: q.service?.length ? q.service : undefined,
      levels: q.level?.length ? q.level : undefined,
      from: q.since !== undefined ? now - q.since : q.start_time,
      to: q.end_time ?? now,
      correlationId: q.correlation_id,
      traceId: q.trace_id,
      limit: Math.min(PAGE, q.limit),
    };
    let first: Awaited<ReturnType<typeof deps.store.search>>;
    try {
      first = await deps.store.search({ ...filter, cursor: q.cursor });
    } catch (err) {
      if (err instanceof InvalidCursorError)
        throw new AppError("BAD_REQUEST", "cursor: not a cursor from a previous page of this search", {
          errors: [{ field: "cursor", message: "invalid cursor" }],
        });
      throw err;
    }
    const total = first.total;
    const truncated = total > q.limit;
    const line = q.format === "csv" ? csvLine : (l: LogEvent) => `${JSON.stringify(l)}\n`;
    const encoder = new TextEncoder();
    let page: { logs: LogEvent[]; nextCursor: string | null } | null = first;
    let sent = 0;
    let started = false;

    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          let chunk = "";
          if (!started) {
            started = true;
            if (q.format === "csv") chunk += CSV_HEADER;
          }
          if (page) {
            for (const l of page.logs) {
              if (sent >= q.limit) break;
              chunk += line(l);
              sent++;
            }
            const next: string | null = sent < q.limit ? page.nextCursor : null;
            page = next
              ? await deps.store.search({
                  ...filter,
                  limit: Math.min(PAGE, q.limit - sent),
                  cursor: next,
                  withTotal: false,
                })
              : null;
          }
          if (page === null) {
            if (truncated) {
              chunk +=
                q.format === "csv"
                  ? `# truncated: ${sent} of ${total} matching lines exported (the export's limit is ${q.limit}); narrow the query or the time range for the rest\r\n`
                  : `${JSON.stringify({ truncated: true, exported: sent, total, limit: q.limit })}\n`;
            }
            if (chunk) controller.enqueue(encoder.encode(chunk));
            controller.close();
            return;
          }
          if (chunk) controller.enqueue(encoder.encode(chunk));
        } catch (err) {
          controller.error(err);
        }
      },
    });
    const stamp = new Date(now).toISOString().replace(/[:.]/g, "-");
    return new Response(body, {
      status: 200,
      headers: {
        "content-type": FORMATS[q.format],
        "content-disposition": `attachment; filename="logflow-${stamp}.${q.format === "csv" ? "csv" : "ndjson"}"`,
        "cache-control": "no-store",
        "x-export-total": String(total),
        "x-export-truncated": String(truncated),
        "access-control-expose-headers": "X-Export-Total, X-Export-Truncated",
      },
    }) as never;
  });
}
