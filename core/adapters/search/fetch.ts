import { base64 } from "../../base64.ts";
import type {
  EngineFlavor,
  EngineRequest,
  EngineResponse,
  EngineTransport,
  SearchEngine,
} from "./backend.ts";
import { SearchEngineError } from "./backend.ts";

export interface FetchConnection {
  url: string;
  flavor: EngineFlavor;
  /** Elasticsearch API key (encoded form); preferred over username/password. */
  apiKey?: string;
  username?: string;
  password?: string;
  /** Per-request limit, ms, unless a request sets its own. Default 30,000. */
  timeoutMs?: number;
  /** The fetch to use (tests; a service binding). Default the global fetch. */
  fetch?: typeof fetch;
}

/**
 * The store's transport over plain `fetch`, for runtimes where the official clients do not load (the
 * Elasticsearch client fails in workerd on Node's TLS options; both pull in Node's http). Same requests,
 * same answers: every HTTP status comes back as a value; no answer is SearchEngineError with status 0.
 * Against Elasticsearch it keeps the client's product check: a 2xx without `x-elastic-product:
 * Elasticsearch` is refused, so a proxy or another product never passes for the engine.
 */
export function fetchEngine(c: FetchConnection): SearchEngine {
  const base = c.url.replace(/\/+$/, "");
  const doFetch = c.fetch ?? fetch;
  const auth: Record<string, string> = c.apiKey
    ? { authorization: `ApiKey ${c.apiKey}` }
    : c.username !== undefined
      ? { authorization: `Basic ${base64(new TextEncoder().encode(`${c.username}:${c.password ?? ""}`))}` }
      : {};
  const transport = (async <T>(req: EngineRequest): Promise<EngineResponse<T>> => {
    const qs = req.querystring
      ? `?${new URLSearchParams(Object.entries(req.querystring).map(([k, v]) => [k, String(v)]))}`
      : "";
    let body: string | undefined;
    let contentType: string | undefined;
    if (req.bulkBody !== undefined) {
      body = `${req.bulkBody.map((line) => JSON.stringify(line)).join("\n")}\n`;
      contentType = "application/x-ndjson";
    } else if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      contentType = "application/json";
    }
    let res: Response;
    try {
      res = await doFetch(`${base}${req.path}${qs}`, {
        method: req.method,
        headers: {
          accept: "application/json",
          ...auth,
          ...(contentType ? { "content-type": contentType } : {}),
        },
        ...(body !== undefined ? { body } : {}),
        signal: AbortSignal.timeout(req.timeoutMs ?? c.timeoutMs ?? 30_000),
      });
    } catch (err) {
      throw new SearchEngineError(0, "unreachable", err instanceof Error ? err.message : String(err));
    }
    const text = await res.text();
    if (c.flavor === "elasticsearch" && res.ok && res.headers.get("x-elastic-product") !== "Elasticsearch") {
      throw new SearchEngineError(0, "product_not_supported", "the server did not identify as Elasticsearch");
    }
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON (a proxy's HTML error page): kept as text, reported by the caller with the status.
    }
    return { status: res.status, body: parsed as T };
  }) as EngineTransport;
  return { flavor: c.flavor, transport, close: async () => {} };
}
