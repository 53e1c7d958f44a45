import { parseLogEvent } from "../../core/log-event.ts";

/**
 * Test double of LogFlow's login and ingest contract, for the sender and CLI tests: `POST
 * /api/v1/auth/login` → `{access_token, token_type, expires_in}`; `POST /api/v1/ingest` (JSON array,
 * bearer token) → `{accepted, rejected, errors}`, judging each event with the real `parseLogEvent`.
 * Scripted answers let a test play 503 + Retry-After, 401 or 413 before the normal answer.
 */

/** A canned answer for the next ingest call. */
export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** A running stub. */
export interface IngestStub {
  url: string;
  /** Every ingest body the stub accepted for judging (scripted failures excluded). */
  batches: unknown[][];
  /** Every ingest call, scripted ones included. */
  ingestCalls: number;
  loginCalls: number;
  /** Queue answers for the next ingest calls, in order. */
  script(...answers: ScriptedAnswer[]): void;
  /** Invalidate every token issued so far (the next ingest gets 401). */
  revokeTokens(): void;
  stop(): Promise<void>;
}

/** Start the stub on a free local port. */
export function startIngestStub(
  options: { username?: string; password?: string; maxEvents?: number } = {},
): IngestStub {
  const username = options.username ?? "admin";
  const password = options.password ?? "admin123";
  const queue: ScriptedAnswer[] = [];
  const valid = new Set<string>();
  let issued = 0;

  const problem = (status: number, detail: string, headers: Record<string, string> = {}): Response =>
    Response.json(
      { type: "about:blank", title: "error", status, detail },
      { status, headers: { "content-type": "application/problem+json", ...headers } },
    );

  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (req.method === "POST" && path === "/api/v1/auth/login") {
        stub.loginCalls++;
        const body = (await req.json().catch(() => null)) as { username?: string; password?: string } | null;
        if (body?.username !== username || body?.password !== password)
          return problem(401, "Invalid credentials");
        const token = `tok-${++issued}`;
        valid.add(token);
        return Response.json({ access_token: token, token_type: "bearer", expires_in: 1800 });
      }
      if (req.method === "POST" && path === "/api/v1/ingest") {
        stub.ingestCalls++;
        const scripted = queue.shift();
        if (scripted) {
          await req.arrayBuffer();
          return Response.json(scripted.body ?? { detail: `scripted ${scripted.status}` }, {
            status: scripted.status,
            headers: scripted.headers ?? {},
          });
        }
        const token = (req.headers.get("authorization") ?? "").replace(/^Bearer /, "");
        if (!valid.has(token)) return problem(401, "Invalid or expired token");
        if (req.headers.get("content-type") !== "application/json")
          return problem(415, "Content-Type must be JSON");
        const items = (await req.json()) as unknown[];
        if (!Array.isArray(items)) return problem(400, "expected an array");
        if (options.maxEvents !== undefined && items.length > options.maxEvents) {
          return problem(413, `${items.length} events in one request; the limit is ${options.maxEvents}`);
        }
        stub.batches.push(items);
        const now = Date.now();
        const errors: { index: number; error: string }[] = [];
        items.forEach((item, index) => {
          const result = parseLogEvent(item, now);
          if (!result.ok) errors.push({ index, error: result.error });
        });
        return Response.json({ accepted: items.length - errors.length, rejected: errors.length, errors });
      }
      return problem(404, "not found");
    },
  });

  const stub: IngestStub = {
    url: `http://127.0.0.1:${server.port}`,
    batches: [],
    ingestCalls: 0,
    loginCalls: 0,
    script: (...answers) => {
      queue.push(...answers);
    },
    revokeTokens: () => valid.clear(),
    stop: () => server.stop(true),
  };
  return stub;
}
