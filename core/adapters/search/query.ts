import type { LogFilter } from "../../ports/log-store.ts";
import { parseLogQuery } from "../../query/parse.ts";
import { toSearchQuery } from "../../query/search-engine.ts";

type Clause = Record<string, unknown>;

/**
 * The filter's query (the query language, core/query/GRAMMAR.md) as a clause: term-level queries with
 * values as JSON values (core/query/search-engine.ts), never a query string the engine would parse.
 * Text without a word matches nothing; text that cannot be parsed throws QueryError (a 400).
 */
export function textClause(text: string): Clause {
  return toSearchQuery(parseLogQuery(text));
}

/** A filter as a `bool` query: nothing scores; everything else is a cached filter clause. */
export function filterQuery(f: LogFilter, extra: Clause[] = []): Clause {
  const filter: Clause[] = [...extra];
  // Blank text is no text filter (an empty search box).
  if (f.text?.trim()) filter.push(textClause(f.text));
  // Empty lists do not narrow: `?service=` parsed to [] means "no service filter".
  if (f.services?.length) filter.push({ terms: { service: f.services } });
  if (f.levels?.length) filter.push({ terms: { level: f.levels } });
  if (f.from !== undefined || f.to !== undefined) {
    filter.push({
      range: {
        timestamp: {
          ...(f.from !== undefined ? { gte: Math.trunc(f.from) } : {}),
          // `to` is an inclusive millisecond: the events with microseconds within it are in.
          ...(f.to !== undefined ? { lt: Math.floor(f.to) + 1 } : {}),
          format: "epoch_millis",
        },
      },
    });
  }
  if (f.correlationId !== undefined) filter.push({ term: { correlation_id: f.correlationId } });
  if (f.traceId !== undefined) filter.push({ term: { trace_id: f.traceId } });
  if (filter.length === 0) return { match_all: {} };
  return { bool: { filter } };
}
