/**
 * One walk through the whole API as a user would take it: register, log in, ship logs, search, look at
 * metrics, manage keys, rules, alerts and anomalies. Every answer is kept with its route, so that
 *
 * - a test (tests/api/openapi.test.ts) can check that what each route really answers still matches
 *   its documented schema, and
 * - `bun run docs:examples` (that test, told to) can store those answers as the examples of
 *   /openapi.json (edge-api/openapi/examples.json).
 *
 * Runtime-neutral: it only needs a way to send requests to the app and the admin's token.
 */
import { evaluateRules } from "../../core/alerts/engine.ts";
import { recordOnlyNotifier } from "../../core/alerts/notify.ts";
import type { AppDeps } from "../context.ts";

/**
 * One alert evaluation on the app's own dependencies, its notifications recorded as delivered without
 * being sent: what `exampleExchanges` needs to have triggered alerts to show.
 */
export function evaluateAlertsNow(
  deps: Pick<AppDeps, "store" | "alertRules" | "triggeredAlerts">,
): () => Promise<void> {
  return async () => {
    await evaluateRules(
      {
        store: deps.store,
        rules: deps.alertRules,
        alerts: deps.triggeredAlerts,
        notify: recordOnlyNotifier,
      },
      Date.now(),
    );
  };
}

export interface ExampleApi {
  request(path: string, init?: RequestInit): Promise<Response>;
  adminToken: string;
}

export interface Exchange {
  /** `METHOD /documented/:path`, as in ROUTE_DOCS. */
  route: string;
  status: number;
  body: unknown;
}

/**
 * Walk the API and return every answer. `fireAlerts` runs one alert evaluation (the walk creates a rule
 * that holds, so that triggered alerts exist to show). Requests are made with fresh names each run.
 */
export async function exampleExchanges(
  api: ExampleApi,
  fireAlerts: () => Promise<void>,
): Promise<Exchange[]> {
  const out: Exchange[] = [];
  const admin = { authorization: `Bearer ${api.adminToken}` };
  const call = async <T = Record<string, unknown>>(
    route: string,
    path: string,
    init: RequestInit & { json?: unknown } = {},
  ): Promise<T> => {
    const { json, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (json !== undefined) headers.set("content-type", "application/json");
    const res = await api.request(path, {
      ...rest,
      headers,
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    });
    const type = res.headers.get("content-type") ?? "";
    const body = type.includes("json") ? await res.json() : await res.text();
    out.push({ route, status: res.status, body });
    return body as T;
  };
  const suffix = crypto.randomUUID().slice(0, 6);
  const username = `ada_${suffix}`;

  await call("POST /api/v1/auth/register", "/api/v1/auth/register", {
    method: "POST",
    json: {
      username,
      email: `${username}@example.com`,
      password: "analytical-engine",
      full_name: "Ada Lovelace",
    },
  });
  const { access_token } = await call<{ access_token: string }>(
    "POST /api/v1/auth/login",
    "/api/v1/auth/login",
    {
      method: "POST",
      json: { username, password: "analytical-engine" },
    },
  );
  const user = { authorization: `Bearer ${access_token}` };
  const me = await call<{ id: number }>("GET /api/v1/auth/me", "/api/v1/auth/me", { headers: user });
  await call("PUT /api/v1/auth/me", "/api/v1/auth/me", {
    method: "PUT",
    headers: user,
    json: { full_name: "Augusta Ada King" },
  });
  await call("GET /api/v1/auth/users", "/api/v1/auth/users?limit=5", { headers: admin });
  const grace = await call<{ id: number }>("POST /api/v1/auth/users", "/api/v1/auth/users", {
    method: "POST",
    headers: admin,
    json: {
      username: `grace_${suffix}`,
      email: `grace_${suffix}@example.com`,
      password: "compiler-pioneer",
      full_name: "Grace Hopper",
      is_admin: false,
    },
  });
  await call("PATCH /api/v1/auth/users/:id", `/api/v1/auth/users/${grace.id}`, {
    method: "PATCH",
    headers: admin,
    json: { is_active: false },
  });
  await call("DELETE /api/v1/auth/users/:id", `/api/v1/auth/users/${grace.id}`, {
    method: "DELETE",
    headers: admin,
  });

  const now = Date.now();
  await call("POST /api/v1/ingest", "/api/v1/ingest", {
    method: "POST",
    headers: admin,
    json: [
      {
        service: "auth-service",
        level: "INFO",
        message: "token issued for user 42",
        correlation_id: "txn-42",
        timestamp: new Date(now - 3000).toISOString(),
      },
      {
        service: "payment-service",
        level: "ERROR",
        message: "card declined: insufficient funds",
        correlation_id: "txn-42",
        attributes: { amount: 99.99, currency: "EUR" },
        timestamp: new Date(now - 2000).toISOString(),
      },
      {
        service: "payment-service",
        level: "INFO",
        message: "retrying with a second card",
        correlation_id: "txn-42",
        timestamp: new Date(now - 1000).toISOString(),
      },
    ],
  });
  const found = await call<{ logs: { id: string }[] }>(
    "GET /api/v1/logs/search",
    "/api/v1/logs/search?query=declined&service=payment-service&since=1h&limit=10",
  );
  await call("GET /api/v1/logs/recent", "/api/v1/logs/recent?limit=2");
  await call("GET /api/v1/logs/patterns", "/api/v1/logs/patterns?service=payment-service&since=1h&limit=5");
  const id = found.logs[0]?.id ?? "00000000-0000-7000-8000-000000000000";
  await call("GET /api/v1/logs/:id", `/api/v1/logs/${id}`);
  await call("GET /api/v1/logs/:id/context", `/api/v1/logs/${id}/context?before=2&after=2`);
  await call(
    "GET /api/v1/logs/stats",
    `/api/v1/logs/stats?since=1h&by=service,level&agg=${encodeURIComponent("count,max(amount)")}`,
  );
  await call("GET /api/v1/logs/fields", `/api/v1/logs/fields?since=1h&query=${encodeURIComponent("txn-42")}`);

  // An export of every match (here the first two lines), streamed as NDJSON.
  const exported = await api.request(
    `/api/v1/logs/export?query=${encodeURIComponent("level:error")}&format=ndjson&limit=2`,
    { headers: admin },
  );
  out.push({ route: "GET /api/v1/logs/export", status: exported.status, body: await exported.text() });

  // The live tail: opened, one matching event shipped, the stream read until that event came, then left.
  const tail = await api.request(`/api/v1/logs/tail?query=${encodeURIComponent("level:error declined")}`);
  const shipped = api.request("/api/v1/ingest", {
    method: "POST",
    headers: { ...admin, "content-type": "application/json" },
    body: JSON.stringify({
      service: "payment-service",
      level: "ERROR",
      message: "card declined: expired card",
      correlation_id: "txn-43",
    }),
  });
  out.push({ route: "GET /api/v1/logs/tail", status: tail.status, body: await firstEvent(tail) });
  await shipped;

  const key = await call<{ id: number }>("POST /api/v1/api-keys", "/api/v1/api-keys", {
    method: "POST",
    headers: user,
    json: { name: "vector on web-1", scopes: ["ingest"] },
  });
  await call("GET /api/v1/api-keys", "/api/v1/api-keys", { headers: user });
  await call("DELETE /api/v1/api-keys/:id", `/api/v1/api-keys/${key.id}`, {
    method: "DELETE",
    headers: user,
  });

  const saved = await call<{ id: number }>("POST /api/v1/saved-searches", "/api/v1/saved-searches", {
    method: "POST",
    headers: user,
    json: {
      name: "Checkout errors",
      query: "level:error service:checkout -healthcheck",
      range: "now-1h",
      shared: true,
    },
  });
  await call("GET /api/v1/saved-searches", "/api/v1/saved-searches", { headers: user });
  await call("GET /api/v1/saved-searches/:id", `/api/v1/saved-searches/${saved.id}`, { headers: user });
  await call("PUT /api/v1/saved-searches/:id", `/api/v1/saved-searches/${saved.id}`, {
    method: "PUT",
    headers: user,
    json: { name: "Checkout errors", query: "level:error service:checkout", range: "24h", shared: true },
  });
  await call("DELETE /api/v1/saved-searches/:id", `/api/v1/saved-searches/${saved.id}`, {
    method: "DELETE",
    headers: user,
  });

  await call("PUT /api/v1/retention/rules/:pattern", "/api/v1/retention/rules/checkout-*", {
    method: "PUT",
    headers: admin,
    json: { days: 7 },
  });
  await call("GET /api/v1/retention/rules", "/api/v1/retention/rules", { headers: admin });

  await call("GET /api/v1/metrics/overview", "/api/v1/metrics/overview?window_minutes=60");
  await call("GET /api/v1/metrics/service/:name", "/api/v1/metrics/service/payment-service");
  await call("GET /api/v1/metrics/system", "/api/v1/metrics/system");
  await call("GET /api/v1/metrics/timeseries", "/api/v1/metrics/timeseries?interval=15m&window_minutes=60");
  await call("DELETE /api/v1/retention/rules/:pattern", "/api/v1/retention/rules/checkout-*", {
    method: "DELETE",
    headers: admin,
  });
  await call("GET /api/v1/cache/stats", "/api/v1/cache/stats", { headers: admin });
  await call("DELETE /api/v1/cache/clear", "/api/v1/cache/clear?pattern=metrics:*", {
    method: "DELETE",
    headers: admin,
  });
  await call("GET /api/v1/rate-limits/status", "/api/v1/rate-limits/status", { headers: admin });
  await call("DELETE /api/v1/rate-limits/reset/:id", `/api/v1/rate-limits/reset/user:${me.id}`, {
    method: "DELETE",
    headers: admin,
  });
  await call("DELETE /api/v1/rate-limits/reset-all", "/api/v1/rate-limits/reset-all", {
    method: "DELETE",
    headers: admin,
  });

  await call("GET /api/v1/trace/context", "/api/v1/trace/context", {
    headers: { "x-correlation-id": "txn-42" },
  });
  await call("GET /api/v1/trace/debug", "/api/v1/trace/debug", { headers: admin });
  await call("POST /api/v1/trace/log", "/api/v1/trace/log", {
    method: "POST",
    headers: { ...admin, "x-correlation-id": "txn-42" },
    json: { event: "payment_processed", details: { amount: 99.99 } },
  });
  await call("GET /api/v1/correlation/trace/:correlationId", "/api/v1/correlation/trace/txn-42");

  const rule = await call<{ id: number }>("POST /api/v1/alerts/rules", "/api/v1/alerts/rules", {
    method: "POST",
    headers: user,
    json: {
      name: "Payment errors",
      condition: "greater_than",
      threshold: 0,
      time_window: 5,
      levels: ["ERROR", "CRITICAL"],
      services: ["payment-service"],
      query: "declined",
      notification_channel: "console",
      severity: "critical",
      cooldown_minutes: 10,
    },
  });
  await call("GET /api/v1/alerts/rules", "/api/v1/alerts/rules?limit=5");
  await call("GET /api/v1/alerts/rules/:id", `/api/v1/alerts/rules/${rule.id}`);
  await call("PUT /api/v1/alerts/rules/:id", `/api/v1/alerts/rules/${rule.id}`, {
    method: "PUT",
    headers: user,
    json: { description: "Card payments failing", cooldown_minutes: 15 },
  });
  await fireAlerts();
  const triggered = await call<{ alerts: { id: number }[] }>(
    "GET /api/v1/alerts/triggered",
    `/api/v1/alerts/triggered?rule_id=${rule.id}`,
  );
  const alertId = triggered.alerts[0]?.id ?? 0;
  await call("GET /api/v1/alerts/triggered/:id", `/api/v1/alerts/triggered/${alertId}`);
  await call(
    "POST /api/v1/alerts/triggered/:id/acknowledge",
    `/api/v1/alerts/triggered/${alertId}/acknowledge`,
    {
      method: "POST",
      headers: user,
    },
  );
  await call("POST /api/v1/alerts/triggered/:id/resolve", `/api/v1/alerts/triggered/${alertId}/resolve`, {
    method: "POST",
    headers: user,
  });

  await call("GET /api/v1/anomaly/detect/log-volume", "/api/v1/anomaly/detect/log-volume?window_minutes=60");
  await call("GET /api/v1/anomaly/detect/error-rate", "/api/v1/anomaly/detect/error-rate?window_minutes=60");
  await call(
    "GET /api/v1/anomaly/detect/patterns",
    "/api/v1/anomaly/detect/patterns?service=payment-service&window_minutes=60",
  );
  await call("GET /api/v1/anomaly/report", "/api/v1/anomaly/report?window_minutes=60");
  await call("GET /api/v1/anomaly/recorded", "/api/v1/anomaly/recorded?limit=5");
  await call("DELETE /api/v1/alerts/rules/:id", `/api/v1/alerts/rules/${rule.id}`, {
    method: "DELETE",
    headers: user,
  });
  await call("GET /health", "/health");
  await call("GET /health/ready", "/health/ready");
  await call("GET /health/live", "/health/live");
  return out;
}

/**
 * A Server-Sent Events answer read up to the end of its first `data:` block (or the end of the stream,
 * or 10 s), then left: the text read.
 */
async function firstEvent(res: Response): Promise<string> {
  if (!res.body || !res.headers.get("content-type")?.startsWith("text/event-stream")) return res.text();
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + 10_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<{ done: true; value?: undefined }>((resolve) => {
    timer = setTimeout(() => resolve({ done: true }), deadline - Date.now());
  });
  try {
    while (!/(^|\n)data: [^\n]*\n\n/.test(text)) {
      const { done, value } = await Promise.race([reader.read(), timeout]);
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => {});
  }
  return text;
}

/**
 * The walk's answers as the document's examples, by route. Credentials from a throwaway database are
 * useless elsewhere, but look like secrets to scanners and readers: shown in shape only.
 */
export function examplesOf(exchanges: Exchange[]): Record<string, unknown> {
  const redact = (value: unknown): unknown =>
    JSON.parse(JSON.stringify(value), (k, v) =>
      k === "access_token" && typeof v === "string"
        ? "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.<claims>.<signature>"
        : k === "key" && typeof v === "string" && v.startsWith("lf_")
          ? `${v.slice(0, 10)}<shown once>`
          : v,
    );
  const examples: Record<string, unknown> = {};
  for (const e of exchanges) {
    if (e.status >= 400) throw new Error(`${e.route} answered ${e.status}: ${JSON.stringify(e.body)}`);
    if (e.body !== "" && typeof e.body === "object") examples[e.route] = redact(e.body);
  }
  return examples;
}
