import type { Context, MiddlewareHandler } from "hono";
import type { ApiKeyScope } from "../../core/api-keys/schema.ts";
import { AppError } from "../../core/errors.ts";
import { hashApiKey, looksLikeApiKey } from "../auth/api-key-secret.ts";
import { userStates } from "../auth/user-states.ts";
import type { AppEnv, AuthUser } from "../context.ts";
import { isIngestPath } from "../ingest/paths.ts";

const UNAUTHORIZED_HEADERS = { "WWW-Authenticate": 'Bearer realm="logflow"' };

function bearer(c: Context<AppEnv>): string | null {
  const h = c.req.header("authorization");
  if (!h) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(h.trim());
  return m ? m[1]! : null;
}

/**
 * The principal behind a bearer token: a user session (JWT) or an API key; null when neither is valid.
 * A session counts only while its user exists, is active and has not revoked it (a password change,
 * disabling or a change of rights raise the user's token version); rights come from the user record,
 * never from the token.
 */
export async function authenticate(c: Context<AppEnv>, token: string): Promise<AuthUser | null> {
  const deps = c.get("deps");
  if (looksLikeApiKey(token)) {
    const key = await deps.apiKeys?.authenticate(await hashApiKey(token));
    return key ? { id: key.userId, username: key.username, isAdmin: key.isAdmin, scopes: key.scopes } : null;
  }
  const claims = await deps.tokens.verify(token);
  if (!claims) return null;
  const state = await userStates(deps.users, deps.now).get(claims.id);
  if (!state?.isActive || state.tokenVersion !== claims.tokenVersion) return null;
  return { id: claims.id, username: state.username, isAdmin: state.isAdmin };
}

/** Sets `user` when a valid token is presented; never rejects. */
export function optionalAuth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = bearer(c);
    c.set("user", token ? ((await authenticate(c, token)) ?? undefined) : undefined);
    await next();
  };
}

function refuseKey(user: AuthUser, scope: ApiKeyScope | undefined): void {
  if (!user.scopes) return; // a user session may do whatever the user may
  if (!scope) throw new AppError("FORBIDDEN", "API keys cannot be used here; log in as a user");
  if (!user.scopes.includes(scope)) throw new AppError("FORBIDDEN", `This API key lacks the ${scope} scope`);
}

/**
 * 401 unless a valid token is presented. API keys are accepted only where a route names the scope it
 * needs (`{ scope: "ingest" }`); everything else takes a user session.
 */
export function requireAuth(opts: { scope?: ApiKeyScope } = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    let user = c.get("user"); // verified already by optionalAuth
    if (!user) {
      const token = bearer(c);
      if (!token)
        throw new AppError("UNAUTHORIZED", "Missing bearer token", { headers: UNAUTHORIZED_HEADERS });
      user = (await authenticate(c, token)) ?? undefined;
      if (!user) {
        throw new AppError("UNAUTHORIZED", "Invalid, expired or revoked token", {
          headers: UNAUTHORIZED_HEADERS,
        });
      }
      c.set("user", user);
    }
    refuseKey(user, opts.scope);
    await next();
  };
}

/** Reads that stay open whatever READ_ACCESS says: they tell the caller only about its own request. */
const OPEN_READS = new Set(["/api/v1/trace/context"]);

/** Whether READ_ACCESS=authenticated guards this request: every GET/HEAD under /api/v1 but OPEN_READS. */
export function isGuardedRead(method: string, path: string, endpoint: string): boolean {
  return (
    (method === "GET" || method === "HEAD") &&
    path.startsWith("/api/") &&
    !isIngestPath(path) && // shippers' protocols: what they read (`GET /api/v1/es/`) takes an ingest key
    endpoint !== "unmatched" &&
    !OPEN_READS.has(endpoint)
  );
}

/**
 * With READ_ACCESS=authenticated (production's default), a read takes a user session or an API key
 * with the `read` scope: 401 without a valid token, 403 for a key without `read`. With `public`, reads
 * are open as in the seed. Applied once in app.ts to every GET under /api/ (search, recent, context,
 * tail, correlation traces, metrics, alerts, anomalies, cache stats, …); a read served by another
 * method takes `requireRead()` on its route.
 */
export function readAccess(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.get("deps").settings.READ_ACCESS !== "authenticated") return next();
    if (!isGuardedRead(c.req.method, c.req.path, c.get("endpoint"))) return next();
    checkRead(c);
    await next();
  };
}

/** `readAccess` for one route whatever its method (a search sent as POST). */
export function requireRead(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.get("deps").settings.READ_ACCESS === "authenticated") checkRead(c);
    await next();
  };
}

function checkRead(c: Context<AppEnv>): void {
  const user = c.get("user");
  if (!user) {
    throw new AppError(
      "UNAUTHORIZED",
      bearer(c)
        ? "Invalid, expired or revoked token"
        : "Reading needs a session token or an API key with the read scope (READ_ACCESS=authenticated)",
      { headers: UNAUTHORIZED_HEADERS },
    );
  }
  if (user.scopes && !user.scopes.includes("read")) {
    throw new AppError("FORBIDDEN", "This API key lacks the read scope");
  }
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/** Equal strings, in a time that does not depend on where they differ. */
export async function sameSecret(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([sha256(a), sha256(b)]);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

/**
 * GET /metrics (Prometheus): open outside production; in production the bearer METRICS_TOKEN when it
 * is set, else (or also) an admin's session.
 */
export function metricsAccess(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const settings = c.get("deps").settings;
    if (settings.ENVIRONMENT !== "production") return next();
    const token = bearer(c);
    if (settings.METRICS_TOKEN && token && (await sameSecret(token, settings.METRICS_TOKEN))) return next();
    const user = c.get("user");
    if (!user) {
      throw new AppError(
        "UNAUTHORIZED",
        settings.METRICS_TOKEN
          ? "Metrics need the bearer METRICS_TOKEN (or an admin's session)"
          : "Metrics need an admin's session in production (or set METRICS_TOKEN for Prometheus)",
        { headers: UNAUTHORIZED_HEADERS },
      );
    }
    if (user.scopes || !user.isAdmin) throw new AppError("FORBIDDEN", "Only an admin can read /metrics");
    await next();
  };
}

/** The signed-in user (a session, not an API key): 401 without one. */
export function currentUser(c: Pick<Context<AppEnv>, "get">): AuthUser {
  const user = c.get("user");
  if (!user) throw new AppError("UNAUTHORIZED", "Authentication required", { headers: UNAUTHORIZED_HEADERS });
  refuseKey(user, undefined);
  return user;
}

/** 403 unless the signed-in user is an admin: "Only an admin can <what>". After `requireAuth()`. */
export function requireAdmin(what: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!currentUser(c).isAdmin) throw new AppError("FORBIDDEN", `Only an admin can ${what}`);
    await next();
  };
}
