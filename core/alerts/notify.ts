import type { EvaluableRule } from "../ports/alerts.ts";
import type { Channel, Delivery, TriggeredAlert } from "./schema.ts";
import { type GuardOptions, safePost, UnsafeUrlError } from "./ssrf.ts";

export const EMAIL_UNAVAILABLE = "email notifications are not available on this deployment";

/** One notice to send: an alert fired, or resolved by itself. */
export interface Notice {
  kind: "triggered" | "resolved";
  rule: EvaluableRule;
  alert: TriggeredAlert;
  at: number;
}

export interface NotifierOptions {
  guard: GuardOptions;
  /** Per attempt. Default 5000 ms. */
  timeoutMs?: number;
  /** Attempts in all, for network errors, 408, 429 and 5xx. Default 3. */
  attempts?: number;
  /** Wait before the second attempt, doubled after each. Default 500 ms. */
  backoffMs?: number;
  log?: (line: Record<string, unknown>) => void;
  fetch?: typeof fetch;
}

export type Notifier = (notice: Notice) => Promise<Delivery>;

/** Records every notice as delivered without sending anything: for API examples and tests. */
export const recordOnlyNotifier: Notifier = async (n) => ({
  kind: n.kind,
  channel: n.rule.notification_channel,
  ok: true,
  status: null,
  attempts: 1,
  error: null,
  at: new Date().toISOString(),
});

const hex = (buf: ArrayBuffer) =>
  Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");

/** `sha256=<hex HMAC-SHA256 of the body>` with the rule's secret: what X-LogFlow-Signature carries. */
export async function signature(secret: string, body: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    enc.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return `sha256=${hex(await crypto.subtle.sign("HMAC", key, enc.encode(body)))}`;
}

/** The JSON a webhook receives. */
export function webhookPayload(n: Notice) {
  const a = n.alert;
  return {
    event: n.kind === "triggered" ? "alert.triggered" : "alert.resolved",
    sent_at: new Date(n.at).toISOString(),
    alert: {
      id: a.id,
      status: n.kind === "triggered" ? "triggered" : "resolved",
      rule_id: n.rule.id,
      rule_name: n.rule.name,
      severity: n.rule.severity,
      condition: n.rule.condition,
      threshold: a.threshold,
      value: a.value,
      aggregation: a.aggregation ?? "count",
      group: a.group ?? null,
      time_window: a.time_window,
      window_start: a.window_start,
      window_end: a.window_end,
      triggered_at: a.triggered_at,
      resolved_at: n.kind === "resolved" ? new Date(n.at).toISOString() : null,
      message: a.message,
      sample_log_ids: a.sample_log_ids,
    },
  };
}

function slackPayload(n: Notice) {
  const a = n.alert;
  const icon =
    n.kind === "resolved"
      ? ":white_check_mark:"
      : n.rule.severity === "critical"
        ? ":rotating_light:"
        : ":warning:";
  const head =
    n.kind === "resolved" ? `Resolved: ${n.rule.name}` : `${n.rule.severity.toUpperCase()}: ${n.rule.name}`;
  return { text: `${icon} *${head}*\n${a.message ?? ""}` };
}

function urlOf(rule: EvaluableRule): string | null {
  const c = rule.notification_config;
  const url = c.url ?? c.webhook_url;
  return typeof url === "string" ? url : null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const retriable = (status: number) => status === 408 || status === 429 || status >= 500;

/** Console, webhook (signed), Slack; email refused as unavailable. Never throws: the outcome is the Delivery. */
export function createNotifier(opts: NotifierOptions): Notifier {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const attempts = Math.max(1, opts.attempts ?? 3);
  const backoffMs = opts.backoffMs ?? 500;

  async function post(
    channel: Channel,
    url: string,
    body: string,
    headers: Record<string, string>,
    n: Notice,
  ) {
    const base = { kind: n.kind, channel };
    let last: { status: number | null; error: string | null } = { status: null, error: null };
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await sleep(backoffMs * 2 ** (attempt - 2));
      try {
        const res = await safePost(url, { body, headers }, { ...opts.guard, timeoutMs, fetch: opts.fetch });
        if (res.status >= 200 && res.status < 300) {
          return {
            ...base,
            ok: true,
            status: res.status,
            attempts: attempt,
            error: null,
            at: new Date().toISOString(),
          };
        }
        last = {
          status: res.status,
          error:
            res.status >= 300 && res.status < 400
              ? `redirect (${res.status}) not followed`
              : `HTTP ${res.status}`,
        };
        if (!retriable(res.status))
          return { ...base, ok: false, ...last, attempts: attempt, at: new Date().toISOString() };
      } catch (err) {
        if (err instanceof UnsafeUrlError) {
          return {
            ...base,
            ok: false,
            status: null,
            error: `refused: ${err.message}`,
            attempts: attempt,
            at: new Date().toISOString(),
          };
        }
        last = { status: null, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
      }
    }
    return { ...base, ok: false, ...last, attempts, at: new Date().toISOString() };
  }

  return async (n) => {
    const channel = n.rule.notification_channel;
    const base = { kind: n.kind, channel };
    const at = () => new Date().toISOString();
    if (channel === "console") {
      opts.log?.({
        level: n.kind === "triggered" ? "WARNING" : "INFO",
        msg: n.kind === "triggered" ? "alert triggered" : "alert resolved",
        ...webhookPayload(n).alert,
      });
      return { ...base, ok: true, status: null, attempts: 1, error: null, at: at() };
    }
    if (channel === "email")
      return { ...base, ok: false, status: null, attempts: 0, error: EMAIL_UNAVAILABLE, at: at() };
    const url = urlOf(n.rule);
    if (!url)
      return {
        ...base,
        ok: false,
        status: null,
        attempts: 0,
        error: "notification_config.url is missing",
        at: at(),
      };
    if (channel === "slack") {
      return post(channel, url, JSON.stringify(slackPayload(n)), { "content-type": "application/json" }, n);
    }
    const body = JSON.stringify(webhookPayload(n));
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": "LogFlow-Alerts/1",
      "x-logflow-event": n.kind === "triggered" ? "alert.triggered" : "alert.resolved",
      "x-logflow-delivery": crypto.randomUUID(),
    };
    if (n.rule.signing_secret) headers["x-logflow-signature"] = await signature(n.rule.signing_secret, body);
    return post(channel, url, body, headers, n);
  };
}
