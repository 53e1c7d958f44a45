import { EventsRejectedError, type RejectedEvent } from "../../ports/log-store.ts";
import { type EngineTransport, ensureOk, SearchEngineError } from "./backend.ts";

/** One event of a bulk write: where it goes and what is stored. */
export interface BulkDoc {
  index: string;
  id: string;
  source: unknown;
}

export type { RejectedEvent };

/** The search engine refused some events of a bulk write for good (a 4xx other than 409/429). */
export class BulkRejectedError extends EventsRejectedError {
  constructor(written: number, duplicates: number, rejected: RejectedEvent[]) {
    super(written, duplicates, rejected);
    this.name = "BulkRejectedError";
  }
}

export interface BulkOptions {
  /** `wait_for`: resolve once the events are searchable (read-after-write); false: up to one refresh later. */
  refresh: "wait_for" | false;
  /** Attempts per event on 429 and 5xx (whole request or item) before giving up with SearchEngineError. */
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Events per bulk request. */
  maxEvents: number;
  /** Approximate bytes per bulk request (Elasticsearch's http.max_content_length is 100 MB). */
  maxBytes: number;
  /** Bulk requests in flight at once for one write. */
  concurrency: number;
  /** Waits between attempts (tests replace it). */
  sleep: (ms: number) => Promise<void>;
}

export const DEFAULT_BULK_OPTIONS: BulkOptions = {
  refresh: "wait_for",
  maxAttempts: 6,
  initialBackoffMs: 100,
  maxBackoffMs: 5_000,
  maxEvents: 5_000,
  maxBytes: 8 * 1024 * 1024,
  concurrency: 2,
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

export interface BulkOutcome {
  written: number;
  duplicates: number;
  rejected: RejectedEvent[];
}

interface BulkItemResult {
  status: number;
  error?: { type?: string; reason?: string; caused_by?: { type?: string; reason?: string } };
}

interface BulkResponse {
  errors?: boolean;
  items?: Record<string, BulkItemResult>[];
}

/**
 * Item errors that say the index cannot take writes right now (a read-only block set when a disk
 * fills, an index closed by maintenance): an outage of the store, not a verdict on the event. The
 * write fails as a whole (the API answers 503, the indexer retries) instead of dead-lettering events.
 */
const BLOCKED_TYPES = new Set(["cluster_block_exception", "index_closed_exception"]);

function retryable(status: number): boolean {
  return status === 429 || status >= 500 || status === 0;
}

function backoff(o: BulkOptions, attempt: number): number {
  const base = Math.min(o.maxBackoffMs, o.initialBackoffMs * 2 ** attempt);
  return base / 2 + Math.random() * (base / 2);
}

/** Split into requests of at most maxEvents events and about maxBytes bytes. */
function chunks(docs: BulkDoc[], o: BulkOptions): BulkDoc[][] {
  const out: BulkDoc[][] = [];
  let cur: BulkDoc[] = [];
  let bytes = 0;
  for (const d of docs) {
    const size = JSON.stringify(d.source).length + 100;
    if (cur.length > 0 && (cur.length >= o.maxEvents || bytes + size > o.maxBytes)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(d);
    bytes += size;
  }
  if (cur.length) out.push(cur);
  return out;
}

/**
 * `create` every document (op_type create, so an id already stored is a 409: a duplicate, the first
 * version kept), reading the per-item results one by one: 201 written, 409 duplicate, 429/5xx retried
 * with exponential backoff and jitter (only those items), any other status rejected with the engine's
 * reason. Nothing is dropped silently: an event is counted written, duplicate or rejected, or the call
 * fails with SearchEngineError (the engine stayed overloaded or unreachable; the caller retries).
 */
export async function bulkCreate(
  transport: EngineTransport,
  docs: BulkDoc[],
  options: Partial<BulkOptions> = {},
): Promise<BulkOutcome> {
  const o = { ...DEFAULT_BULK_OPTIONS, ...options };
  const outcome: BulkOutcome = { written: 0, duplicates: 0, rejected: [] };
  const queue = chunks(docs, o);
  const worker = async () => {
    for (let chunk = queue.shift(); chunk; chunk = queue.shift())
      await sendChunk(transport, chunk, o, outcome);
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, worker));
  return outcome;
}

async function sendChunk(
  transport: EngineTransport,
  chunk: BulkDoc[],
  o: BulkOptions,
  outcome: BulkOutcome,
): Promise<void> {
  let pending = chunk;
  let lastError = "";
  /** The last attempt got no answer at all (rather than a 429 or 5xx): that is what failing says. */
  let unreachable = false;
  let blocked: string | undefined;
  for (let attempt = 0; attempt < o.maxAttempts && pending.length > 0; attempt++) {
    if (attempt > 0) await o.sleep(backoff(o, attempt - 1));
    const bulkBody: unknown[] = [];
    for (const d of pending) bulkBody.push({ create: { _index: d.index, _id: d.id } }, d.source);
    let res: { status: number; body: BulkResponse };
    try {
      res = await transport<BulkResponse>({
        method: "POST",
        path: "/_bulk",
        querystring: o.refresh ? { refresh: o.refresh } : {},
        bulkBody,
      });
    } catch (err) {
      if (!(err instanceof SearchEngineError) || err.type !== "unreachable") throw err;
      lastError = err.message;
      unreachable = true;
      continue;
    }
    unreachable = false;
    if (retryable(res.status)) {
      lastError = `bulk request answered ${res.status}`;
      continue;
    }
    const body = ensureOk(res, "bulk");
    const items = body.items ?? [];
    if (items.length !== pending.length) {
      throw new SearchEngineError(res.status, "bulk", `${items.length} results for ${pending.length} events`);
    }
    const again: BulkDoc[] = [];
    items.forEach((item, i) => {
      const doc = pending[i] as BulkDoc;
      const r = item.create ?? Object.values(item)[0] ?? { status: 0 };
      if (r.status >= 200 && r.status < 300) outcome.written++;
      else if (r.status === 409) outcome.duplicates++;
      else if (retryable(r.status)) {
        again.push(doc);
        lastError = `${r.status} ${r.error?.type ?? ""}: ${r.error?.reason ?? ""}`;
      } else if (BLOCKED_TYPES.has(r.error?.type ?? "")) {
        blocked ??= `${r.status} ${r.error?.type}: ${r.error?.reason ?? ""}`;
      } else {
        const cause = r.error?.caused_by;
        outcome.rejected.push({
          id: doc.id,
          status: r.status,
          type: r.error?.type ?? "error",
          reason: [r.error?.reason, cause?.reason].filter(Boolean).join(": ") || "rejected",
        });
      }
    });
    pending = again;
    if (blocked) {
      throw new SearchEngineError(
        503,
        "index_blocked",
        `the index does not take writes now (${blocked}); writing the batch again is safe`,
      );
    }
  }
  if (pending.length > 0 && unreachable) {
    throw new SearchEngineError(
      0,
      "unreachable",
      `${lastError.replace(/^search engine: /, "")} (${pending.length} event(s) not stored after ${o.maxAttempts} attempts; writing the batch again is safe)`,
    );
  }
  if (pending.length > 0) {
    throw new SearchEngineError(
      429,
      "retries_exhausted",
      `${pending.length} event(s) not stored after ${o.maxAttempts} attempts (last: ${lastError}); ` +
        "writing the batch again is safe",
    );
  }
}
