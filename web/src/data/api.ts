import type { FieldError } from "../../../core/errors.ts";
import { session } from "./auth.ts";

export type { FieldError };

/** An answer other than 2xx, read from the API's RFC 9457 problem+json. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fieldErrors: FieldError[] = [],
    readonly requestId?: string,
    /** How long the API asked to wait before trying again (429, 503), ms. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

type Transport = (path: string, init: RequestInit) => Promise<Response>;

let transport: Transport = (path, init) => fetch(path, init);
let onUnauthorized: () => void = () => {};

/** Tests route requests to an in-process API; the app uses fetch against its own origin. */
export function setTransport(t: Transport) {
  transport = t;
}

/** Called when the API says the session is no longer valid (expired or revoked token). */
export function setUnauthorizedHandler(fn: () => void) {
  onUnauthorized = fn;
}

export interface RequestOptions {
  method?: string;
  json?: unknown;
  signal?: AbortSignal;
}

/** Call the API with the session's bearer token; throws ApiError for anything but 2xx. */
export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const headers = authorized({ accept: "application/json" });
  if (opts.json !== undefined) headers["content-type"] = "application/json";
  const res = await send(path, {
    method: opts.method ?? (opts.json !== undefined ? "POST" : "GET"),
    headers,
    body: opts.json !== undefined ? JSON.stringify(opts.json) : undefined,
    signal: opts.signal,
  });
  if (res.status === 204) return undefined as T;
  const body = await jsonOf(res);
  if (!res.ok) throw failure(res, body, headers);
  return body as T;
}

/**
 * GET an answer that streams (Server-Sent Events), with the session's bearer token and `headers`:
 * the response once it is 2xx, to read as it comes; ApiError (after reading the problem) otherwise.
 */
export async function apiStream(
  path: string,
  opts: { headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Response> {
  const headers = authorized({ accept: "text/event-stream", ...opts.headers });
  const res = await send(path, { method: "GET", headers, signal: opts.signal });
  if (!res.ok) throw failure(res, await jsonOf(res), headers);
  return res;
}

function authorized(headers: Record<string, string>): Record<string, string> {
  const token = session()?.token;
  if (token) headers.authorization = `Bearer ${token}`;
  return headers;
}

async function send(path: string, init: RequestInit): Promise<Response> {
  try {
    return await transport(path, { ...init, credentials: "omit" });
  } catch (err) {
    if ((err as Error)?.name === "AbortError") throw err;
    throw new ApiError(
      0,
      "NETWORK",
      "Could not reach the LogFlow API. Check that it is running, then retry.",
    );
  }
}

async function jsonOf(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

/** The API's problem+json as an ApiError; a 401 to a request that carried a token ends the session. */
function failure(res: Response, body: unknown, sent: Record<string, string>): ApiError {
  const p = (body ?? {}) as { detail?: string; code?: string; errors?: FieldError[]; request_id?: string };
  if (res.status === 401 && sent.authorization) onUnauthorized();
  const errors = Array.isArray(p.errors) ? p.errors.filter((e) => typeof e?.field === "string") : [];
  return new ApiError(
    res.status,
    p.code ?? `HTTP_${res.status}`,
    p.detail ?? `The API answered ${res.status}`,
    errors,
    p.request_id,
    retryAfterMs(res.headers.get("retry-after")),
  );
}

/** Retry-After in seconds (the API never sends a date), as ms. */
function retryAfterMs(value: string | null): number | undefined {
  const seconds = value === null ? Number.NaN : Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/** A message for an error state: what happened and, where the user can act, what to do. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 429) return `${err.message}. Wait a moment, then retry.`;
    if (err.status === 403) return `${err.message}. Ask an admin if you need access.`;
    if (err.status >= 500)
      return `${err.message}${err.requestId ? ` (request ${err.requestId})` : ""}. Retry in a moment.`;
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
