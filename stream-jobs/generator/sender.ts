/**
 * HTTP client for LogFlow's ingest API, using only fetch so it runs on Bun, Node and Deno. Transient
 * answers (503 with Retry-After, 429, 502, 504, network errors) are retried with bounded backoff; a 401
 * triggers one re-login; a 413 splits the batch; anything else is a client bug and fails loudly.
 */

import type { IngestItemError, IngestResult } from "../../core/logs/schema.ts";

/** What one `sendBatch` call achieved. */
export interface BatchResult extends IngestResult {
  /** Events in the batch. */
  sent: number;
  /** HTTP requests made, retries and split halves included. */
  requests: number;
  /** Requests repeated after a transient failure. */
  retries: number;
  /** The token in use at the end: differs from the one passed in after a re-login. */
  token: string;
}

/** A failure the sender gave up on: the HTTP status (null for network errors) and the server's detail. */
export class SendError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = "SendError";
  }
}

/** Options common to every call. */
export interface HttpOptions {
  /** fetch implementation (tests, proxies); default the global fetch. */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /** Aborts the request and any retry wait. */
  signal?: AbortSignal;
}

/** Options of `sendBatch`. */
export interface SendOptions extends HttpOptions {
  /** Most HTTP attempts per batch (the first included); default 5. A re-login does not count. */
  maxAttempts?: number;
  /** First backoff delay; doubles per attempt, with full jitter. Default 250 ms. */
  baseDelayMs?: number;
  /** Longest wait between attempts, Retry-After included. Default 30 s. */
  maxDelayMs?: number;
  /** Called once on a 401 to get a fresh token (usually `() => login(...)`); without it a 401 fails. */
  relogin?: () => Promise<string>;
  /** Told about every retry, for progress output. */
  onRetry?: (info: { attempt: number; status: number | null; delayMs: number; reason: string }) => void;
  /** Wait implementation (tests); default a timer that the signal cuts short. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Statuses that say "not now" rather than "never": the same request may succeed later. */
const RETRYABLE = new Set([408, 429, 502, 503, 504]);

function endpoint(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, "")}${path}`;
}

/** Sleep for `ms`, rejecting with the signal's reason if it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3); null if absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - now) : null;
}

/** The most useful one-line description of an error response (problem+json detail when present). */
async function describe(res: Response): Promise<string> {
  const text = await res.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { detail?: unknown; title?: unknown; code?: unknown };
    const detail =
      typeof body.detail === "string" ? body.detail : typeof body.title === "string" ? body.title : null;
    if (detail) return typeof body.code === "string" ? `${body.code}: ${detail}` : detail;
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return text.slice(0, 300) || res.statusText || `HTTP ${res.status}`;
}

function networkMessage(url: string, err: unknown): string {
  const reason = err instanceof Error ? err.message : String(err);
  return `cannot reach ${url}: ${reason}`;
}

/**
 * Log in with a username and password and return the bearer token (`POST /api/v1/auth/login`).
 * Not retried: the endpoint is rate limited (20 per hour), so a failure is reported at once.
 */
export async function login(
  baseUrl: string,
  username: string,
  password: string,
  options: HttpOptions = {},
): Promise<string> {
  const doFetch = options.fetch ?? fetch;
  const url = endpoint(baseUrl, "/api/v1/auth/login");
  let res: Response;
  try {
    res = await doFetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ username, password }),
      signal: options.signal ?? null,
    });
  } catch (err) {
    if (options.signal?.aborted) throw err;
    throw new SendError(networkMessage(url, err), null);
  }
  if (!res.ok)
    throw new SendError(`login as ${username} failed (${res.status}): ${await describe(res)}`, res.status);
  const body = (await res.json()) as { access_token?: unknown };
  if (typeof body.access_token !== "string" || body.access_token === "") {
    throw new SendError("login answered without an access_token", res.status);
  }
  return body.access_token;
}

function asIngestResult(body: unknown, size: number): IngestResult {
  const b = body as Partial<IngestResult> | null;
  if (!b || typeof b.accepted !== "number" || typeof b.rejected !== "number") {
    throw new SendError(`ingest answered an unexpected body: ${JSON.stringify(body).slice(0, 200)}`, null);
  }
  const errors = Array.isArray(b.errors)
    ? b.errors.filter(
        (e): e is IngestItemError => typeof e?.index === "number" && typeof e?.error === "string",
      )
    : [];
  if (b.accepted + b.rejected !== size) {
    // Counts that do not add up mean the contract changed; say so rather than report wrong totals.
    throw new SendError(`ingest counted ${b.accepted + b.rejected} events of a batch of ${size}`, null);
  }
  return { accepted: b.accepted, rejected: b.rejected, errors };
}

/**
 * Send one batch of events (`POST /api/v1/ingest`, a JSON array) and return what the server accepted
 * and rejected. Retries transient failures up to `maxAttempts`, honouring Retry-After; re-logs in once
 * on 401 through `relogin`; splits the batch in two on 413. Throws `SendError` when it gives up.
 */
export async function sendBatch(
  baseUrl: string,
  token: string,
  events: readonly unknown[],
  options: SendOptions = {},
): Promise<BatchResult> {
  const doFetch = options.fetch ?? fetch;
  const wait = options.sleep ?? sleep;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  const baseDelay = options.baseDelayMs ?? 250;
  const maxDelay = options.maxDelayMs ?? 30_000;
  const url = endpoint(baseUrl, "/api/v1/ingest");
  const body = JSON.stringify(events);
  let relogged = false;
  let requests = 0;
  let retries = 0;

  const retryAfter = async (
    attempt: number,
    status: number | null,
    reason: string,
    hinted: number | null,
  ) => {
    // Full jitter spreads out many senders that failed together (a restart), so they do not return together.
    const backoff = Math.random() * Math.min(maxDelay, baseDelay * 2 ** (attempt - 1));
    const delayMs = Math.min(maxDelay, hinted ?? backoff);
    options.onRetry?.({ attempt, status, delayMs, reason });
    retries++;
    await wait(delayMs, options.signal);
  };

  for (let attempt = 1; ; attempt++) {
    let res: Response;
    requests++;
    try {
      res = await doFetch(url, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          accept: "application/json",
        },
        body,
        signal: options.signal ?? null,
      });
    } catch (err) {
      if (options.signal?.aborted) throw err;
      const message = networkMessage(url, err);
      if (attempt >= maxAttempts) throw new SendError(`${message} (gave up after ${attempt} attempts)`, null);
      await retryAfter(attempt, null, message, null);
      continue;
    }

    if (res.ok) {
      const result = asIngestResult(await res.json(), events.length);
      return { ...result, sent: events.length, requests, retries, token };
    }
    if (res.status === 401 && options.relogin && !relogged) {
      await res.body?.cancel();
      relogged = true;
      token = await options.relogin();
      attempt--; // The expired token was not the server's fault; do not spend an attempt on it.
      continue;
    }
    if (res.status === 413 && events.length > 1) {
      await res.body?.cancel();
      return sendHalves(baseUrl, token, events, options, requests, retries);
    }
    const reason = await describe(res);
    if (RETRYABLE.has(res.status) && attempt < maxAttempts) {
      await retryAfter(attempt, res.status, reason, parseRetryAfter(res.headers.get("retry-after")));
      continue;
    }
    const gaveUp = RETRYABLE.has(res.status) ? ` (gave up after ${attempt} attempts)` : "";
    throw new SendError(`ingest answered ${res.status}: ${reason}${gaveUp}`, res.status);
  }
}

/** A batch too large for the server's limits goes as two halves; indexes are mapped back to the whole. */
async function sendHalves(
  baseUrl: string,
  token: string,
  events: readonly unknown[],
  options: SendOptions,
  requests: number,
  retries: number,
): Promise<BatchResult> {
  const mid = Math.ceil(events.length / 2);
  const first = await sendBatch(baseUrl, token, events.slice(0, mid), options);
  const second = await sendBatch(baseUrl, first.token, events.slice(mid), options);
  return {
    accepted: first.accepted + second.accepted,
    rejected: first.rejected + second.rejected,
    errors: [...first.errors, ...second.errors.map((e) => ({ index: e.index + mid, error: e.error }))],
    sent: events.length,
    requests: requests + first.requests + second.requests,
    retries: retries + first.retries + second.retries,
    token: second.token,
  };
}

/** Running totals of a sender. */
export interface SenderTotals {
  batches: number;
  sent: number;
  accepted: number;
  rejected: number;
  requests: number;
  retries: number;
  /** The first rejection reasons seen (at most 20), for the summary. */
  sampleErrors: string[];
}

/** A logged-in sender that keeps its token fresh and adds up what it sent. */
export interface Sender {
  /** Send one batch (logging in first if needed). */
  send(events: readonly unknown[]): Promise<BatchResult>;
  readonly totals: Readonly<SenderTotals>;
}

/** Options of `createSender`. */
export interface SenderOptions extends Omit<SendOptions, "relogin"> {
  baseUrl: string;
  username: string;
  password: string;
}

/** Create a sender that logs in lazily, re-logs in once per batch on 401, and keeps totals. */
export function createSender(options: SenderOptions): Sender {
  const { baseUrl, username, password, ...sendOptions } = options;
  const http = { fetch: options.fetch, signal: options.signal };
  let token: string | null = null;
  const totals: SenderTotals = {
    batches: 0,
    sent: 0,
    accepted: 0,
    rejected: 0,
    requests: 0,
    retries: 0,
    sampleErrors: [],
  };
  const relogin = (): Promise<string> => login(baseUrl, username, password, http);
  return {
    async send(events) {
      if (events.length === 0)
        return { accepted: 0, rejected: 0, errors: [], sent: 0, requests: 0, retries: 0, token: token ?? "" };
      token ??= await relogin();
      const result = await sendBatch(baseUrl, token, events, { ...sendOptions, relogin });
      token = result.token;
      totals.batches++;
      totals.sent += result.sent;
      totals.accepted += result.accepted;
      totals.rejected += result.rejected;
      totals.requests += result.requests;
      totals.retries += result.retries;
      for (const e of result.errors) {
        if (totals.sampleErrors.length < 20) totals.sampleErrors.push(e.error);
      }
      return result;
    },
    totals,
  };
}
