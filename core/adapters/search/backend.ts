import { AppError } from "../../errors.ts";

/**
 * What the search-engine log store needs from Elasticsearch or OpenSearch: one HTTP-shaped request.
 * Both official clients expose it (`client.transport.request`), with the same parameters, so the store's
 * requests, bodies and response parsing are written once; each engine's file only builds its client and
 * says which mapping type it has for a flat map of attributes. A fetch-based transport (Workers) fits the
 * same shape.
 */
export interface EngineRequest {
  method: "GET" | "POST" | "PUT" | "DELETE" | "HEAD";
  /** Path with every user-supplied part already URL-encoded. */
  path: string;
  querystring?: Record<string, string | number | boolean>;
  /** A JSON body. */
  body?: unknown;
  /** An NDJSON body (bulk, msearch): one JSON value per line. */
  bulkBody?: unknown[];
  /** Client-side limit on the whole request, ms (the client's default otherwise). */
  timeoutMs?: number;
}

export interface EngineResponse<T = unknown> {
  status: number;
  body: T;
}

/**
 * Sends one request. Resolves with every HTTP answer, error statuses included (the store decides what a
 * 404 or 409 means); rejects with SearchEngineError only when no answer came (network, timeout).
 */
export type EngineTransport = <T = unknown>(req: EngineRequest) => Promise<EngineResponse<T>>;

/**
 * Query parameters of every read: the read alias does not exist until the first write, and an absent
 * index is an empty store, not an error.
 */
export const READ = { ignore_unavailable: true, allow_no_indices: true } as const;

export type EngineFlavor = "elasticsearch" | "opensearch";

export interface SearchEngine {
  flavor: EngineFlavor;
  transport: EngineTransport;
  /** Release the client's connections. */
  close(): Promise<void>;
}

/**
 * The engine refused a request, or could not be reached or identified (status 0; type `unreachable`
 * for network failures and timeouts, which are worth retrying).
 */
export class SearchEngineError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    reason: string,
  ) {
    super(status ? `search engine answered ${status} ${type}: ${reason}` : `search engine: ${reason}`);
    this.name = "SearchEngineError";
  }
}

/**
 * Whether an error of the search-engine store means the engine is unavailable for now (unreachable,
 * overloaded: 429, 5xx, an index blocked for writes), so the same request is worth sending again later.
 */
export function isSearchEngineOutage(err: unknown): boolean {
  if (!(err instanceof SearchEngineError)) return false;
  return err.type === "unreachable" || err.status === 429 || err.status >= 500;
}

/**
 * The engine's refusal of an answer with more buckets than its `search.max_buckets` (default 65,535):
 * a 503 with an empty root cause (ensureOk takes the cause's type), which asking again cannot change.
 */
export function isTooManyBuckets(err: unknown): boolean {
  return (
    err instanceof SearchEngineError &&
    /too_many_buckets|too many buckets/i.test(`${err.type} ${err.message}`)
  );
}

/**
 * Rethrow the engine's refusal of an answer with more buckets than its `search.max_buckets` as a 400
 * that names the parameter to change (`field`) and what to narrow (`hint`): the engine answers 503,
 * which would tell a client to send the same request again for ever. `prefix` starts the message
 * (what the buckets are, when that helps); `why` adds to the setting's name. Any other error as it is.
 */
export function rethrowTooManyBuckets(
  err: unknown,
  { field, prefix, why = "", hint }: { field: string; prefix: string; why?: string; hint: string },
): never {
  if (!isTooManyBuckets(err)) throw err;
  throw new AppError(
    "BAD_REQUEST",
    `${prefix}the answer would hold more buckets than the search engine allows (its search.max_buckets${why}): ${hint}`,
    { errors: [{ field, message: "too many buckets for the search engine" }] },
  );
}

interface ErrorCause {
  type?: string;
  reason?: string;
}

interface ErrorBody {
  error?: (ErrorCause & { root_cause?: ErrorCause[]; caused_by?: ErrorCause }) | string;
}

/**
 * Throw SearchEngineError for a non-2xx answer, with the engine's own error type and reason: the root
 * cause's, else the cause's (a search over too many buckets answers an empty root_cause, type
 * `search_phase_execution_exception` and no reason, with `too_many_buckets_exception` as its cause).
 */
export function ensureOk<T>(res: EngineResponse<T>, what: string): T {
  if (res.status >= 200 && res.status < 300) return res.body;
  const err = (res.body as ErrorBody | undefined)?.error;
  const cause = typeof err === "object" ? (err.root_cause?.[0] ?? err.caused_by ?? err) : undefined;
  const type = cause?.type ?? (typeof err === "object" ? err.type : undefined) ?? "error";
  const reason =
    typeof err === "object" ? (cause?.reason ?? err.reason ?? "") : String(err ?? JSON.stringify(res.body));
  throw new SearchEngineError(res.status, type, `${what}: ${reason}`);
}

/** The part of both clients' Transport this module uses. */
export interface ClientTransportLike {
  request(
    params: {
      method: string;
      path: string;
      body?: unknown;
      bulkBody?: unknown[];
      querystring?: Record<string, unknown>;
    },
    options?: { meta?: boolean; requestTimeout?: number; maxRetries?: number },
  ): Promise<unknown>;
}

/**
 * An EngineTransport over an official client's transport (Elasticsearch's or OpenSearch's: their
 * `transport.request` and ResponseError have the same shape). Answers with an error status come back as
 * values; connection failures and timeouts become SearchEngineError with status 0.
 */
export function clientTransport(transport: ClientTransportLike, withMeta: boolean): EngineTransport {
  return async <T>(req: EngineRequest): Promise<EngineResponse<T>> => {
    const params = {
      method: req.method,
      path: req.path,
      ...(req.querystring ? { querystring: req.querystring } : {}),
      ...(req.body !== undefined ? { body: req.body } : {}),
      ...(req.bulkBody !== undefined ? { bulkBody: req.bulkBody } : {}),
    };
    try {
      const options = {
        ...(withMeta ? { meta: true } : {}),
        ...(req.timeoutMs !== undefined ? { requestTimeout: req.timeoutMs } : {}),
      };
      const res = (await transport.request(params, options)) as {
        statusCode?: number;
        body: T;
      };
      return { status: res.statusCode ?? 200, body: res.body };
    } catch (err) {
      const e = err as { name?: string; message?: string; meta?: { statusCode?: number; body?: unknown } };
      // Only a ResponseError is the engine answering; a ProductNotSupportedError also carries the response
      // but means the server is not Elasticsearch, which must not pass for a successful answer.
      if (e.name === "ResponseError" && typeof e.meta?.statusCode === "number" && e.meta.statusCode > 0) {
        return { status: e.meta.statusCode, body: e.meta.body as T };
      }
      if (e.name === "ProductNotSupportedError") {
        throw new SearchEngineError(0, "product_not_supported", e.message ?? "not Elasticsearch");
      }
      throw new SearchEngineError(0, "unreachable", err instanceof Error ? err.message : String(err));
    }
  };
}
