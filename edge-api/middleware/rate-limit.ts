import type { Context, MiddlewareHandler } from "hono";
import { AppError } from "../../core/errors.ts";
import type { RateLimitRule } from "../../core/ports/rate-limiter.ts";
import type { AppEnv } from "../context.ts";
import { isIngestPath } from "../ingest/paths.ts";

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** The seed's table of limits per endpoint class. */
export const RATE_LIMITS = {
  default: { name: "default", limit: 100, windowMs: MINUTE },
  search: { name: "search", limit: 50, windowMs: MINUTE },
  // Opening a live tail (a reconnect is an opening): its own class, so that tails never use up searches.
  tail: { name: "tail", limit: 60, windowMs: MINUTE },
  recent: { name: "recent", limit: 100, windowMs: MINUTE },
  lookup: { name: "lookup", limit: 200, windowMs: MINUTE },
  login: { name: "login", limit: 20, windowMs: HOUR },
  /** Guesses at one account's password, from anywhere: counted on the username tried. */
  login_account: { name: "login_account", limit: 20, windowMs: HOUR },
  register: { name: "register", limit: 10, windowMs: HOUR },
  metrics: { name: "metrics", limit: 100, windowMs: MINUTE },
  me: { name: "me", limit: 100, windowMs: MINUTE },
  me_update: { name: "me_update", limit: 30, windowMs: HOUR },
  users: { name: "users", limit: 50, windowMs: MINUTE },
} satisfies Record<string, RateLimitRule>;

/**
 * Which rule a request falls under, by route pattern. Ingest is not limited per request (shippers
 * batch; its protection is the body and queue limits), nor are /health and /metrics (probes and
 * scrapes) and the dashboard's static files. The API reference documents a 429 where this says so.
 */
export function ruleFor(method: string, endpoint: string, path: string): RateLimitRule | null {
  if (!path.startsWith("/api/")) return null;
  if (isIngestPath(path)) return null;
  if (endpoint === "/api/v1/auth/login") return RATE_LIMITS.login;
  if (endpoint === "/api/v1/auth/register") return RATE_LIMITS.register;
  if (endpoint === "/api/v1/auth/me") return method === "GET" ? RATE_LIMITS.me : RATE_LIMITS.me_update;
  if (endpoint === "/api/v1/auth/users") return RATE_LIMITS.users;
  if (endpoint === "/api/v1/logs/search" || endpoint === "/api/v1/logs/patterns") return RATE_LIMITS.search;
  if (endpoint === "/api/v1/logs/tail") return RATE_LIMITS.tail;
  if (endpoint === "/api/v1/logs/recent") return RATE_LIMITS.recent;
  if (endpoint === "/api/v1/logs/:id") return RATE_LIMITS.lookup;
  if (endpoint.startsWith("/api/v1/metrics/")) return RATE_LIMITS.metrics;
  return RATE_LIMITS.default;
}

/** Rules with every limit multiplied by RATE_LIMIT_SCALE, built once per rule and scale. */
const scaledRules = new Map<number, Map<RateLimitRule, RateLimitRule>>();

function scaled(rule: RateLimitRule, scale: number): RateLimitRule {
  if (scale === 1) return rule;
  let rules = scaledRules.get(scale);
  if (!rules) {
    rules = new Map();
    scaledRules.set(scale, rules);
  }
  let r = rules.get(rule);
  if (!r) {
    r = { ...rule, limit: rule.limit * scale };
    rules.set(rule, r);
  }
  return r;
}

function describeWindow(ms: number): string {
  if (ms % HOUR === 0) return ms === HOUR ? "1 hour" : `${ms / HOUR} hours`;
  return ms === MINUTE ? "1 minute" : `${ms / MINUTE} minutes`;
}

/**
 * Who a request counts against, for rate limits and the tail cap: the user when a valid token came with
 * it, else the client address (the proxy's headers are believed only with TRUST_PROXY).
 */
export function callerId(c: Context<AppEnv>): string {
  const user = c.get("user");
  return user ? `user:${user.id}` : addressId(c);
}

function addressId(c: Context<AppEnv>): string {
  return `ip:${c.get("deps").clientAddress?.(c) ?? "unknown"}`;
}

/** Rules a bearer token must not escape: who logs in or registers is not who the token says. */
const BY_ADDRESS: ReadonlySet<RateLimitRule> = new Set([RATE_LIMITS.login, RATE_LIMITS.register]);

/**
 * The per-account limit on login: `login:<username>` (case-folded), whatever address and token the
 * guesses come with. 429 once exceeded. Called by the login route with the username it was sent.
 */
export async function limitLoginAccount(c: Context<AppEnv>, username: string): Promise<void> {
  const deps = c.get("deps");
  if (!deps.rateLimiter) return;
  const rule = scaled(RATE_LIMITS.login_account, deps.settings.RATE_LIMIT_SCALE ?? 1);
  const result = await deps.rateLimiter.limit(`login:${username.toLowerCase()}`, rule);
  if (result.success) return;
  deps.telemetry?.rateLimited(rule.name);
  const now = deps.now?.() ?? Date.now();
  const resetSeconds = Math.max(1, Math.ceil((result.reset - now) / 1000));
  throw new AppError(
    "RATE_LIMITED",
    `Too many login attempts for this account: ${rule.limit} per ${describeWindow(rule.windowMs)}`,
    { headers: { "Retry-After": String(resetSeconds) } },
  );
}

/**
 * Per-endpoint sliding-window limits. The identifier is the user when a valid token came with the
 * request, else the client address; login and register always count on the address (and login also
 * per account, `limitLoginAccount`) (the proxy's headers are believed only with TRUST_PROXY). Every
 * limited response carries RateLimit-Limit/Remaining/Reset; a refusal is a 429 with Retry-After.
 */
export function rateLimit(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const deps = c.get("deps");
    const limiter = deps.rateLimiter;
    const base = limiter ? ruleFor(c.req.method, c.get("endpoint"), c.req.path) : null;
    if (!limiter || !base) return next();
    const rule = scaled(base, deps.settings.RATE_LIMIT_SCALE ?? 1);
    const result = await limiter.limit(BY_ADDRESS.has(base) ? addressId(c) : callerId(c), rule);
    const now = deps.now?.() ?? Date.now();
    const resetSeconds = Math.max(0, Math.ceil((result.reset - now) / 1000));
    if (!result.success) {
      deps.telemetry?.rateLimited(rule.name);
      throw new AppError(
        "RATE_LIMITED",
        `Rate limit exceeded: ${rule.limit} per ${describeWindow(rule.windowMs)}`,
        {
          headers: {
            "RateLimit-Limit": String(result.limit),
            "RateLimit-Remaining": String(result.remaining),
            "RateLimit-Reset": String(resetSeconds),
            "Retry-After": String(Math.max(1, resetSeconds)),
          },
        },
      );
    }
    await next();
    const headers = c.res.headers;
    headers.set("RateLimit-Limit", String(result.limit));
    headers.set("RateLimit-Remaining", String(result.remaining));
    headers.set("RateLimit-Reset", String(resetSeconds));
  };
}
