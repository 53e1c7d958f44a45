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
  const headers: Record<string, string> = { accept: "application/json" };
  const token = session()?.token;
  if (token) headers.authorization = `Bearer ${token}`;
  if (opts.json !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  try {
    res = await transport(path, {
      method: opts.method ?? (opts.json !== undefined ? "POST" : "GET"),
      headers,
      body: opts.json !== undefined ? JSON.stringify(opts.json) : undefined,
      signal: opts.signal,
      credentials: "omit",
    });
  } catch (err) {
    if ((err as Error)?.name === "AbortError") throw err;
    throw new ApiError(
      0,
      "NETWORK",
      "Could not reach the LogFlow API. Check that it is running, then retry.",
    );
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) {
    const p = (body ?? {}) as { detail?: string; code?: string; errors?: FieldError[]; request_id?: string };
    if (res.status === 401 && token) onUnauthorized();
    const errors = Array.isArray(p.errors) ? p.errors.filter((e) => typeof e?.field === "string") : [];
    throw new ApiError(
      res.status,
      p.code ?? `HTTP_${res.status}`,
      p.detail ?? `The API answered ${res.status}`,
      errors,
      p.request_id,
    );
  }
  return body as T;
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
