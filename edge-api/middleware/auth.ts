import type { Context, MiddlewareHandler } from "hono";
import type { ApiKeyScope } from "../../core/api-keys/schema.ts";
import { AppError } from "../../core/errors.ts";
import { hashApiKey, looksLikeApiKey } from "../auth/api-key-secret.ts";
import type { AppEnv, AuthUser } from "../context.ts";

const UNAUTHORIZED_HEADERS = { "WWW-Authenticate": 'Bearer realm="logflow"' };

function bearer(c: Context<AppEnv>): string | null {
  const h = c.req.header("authorization");
  if (!h) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(h.trim());
  return m ? m[1]! : null;
}

/** The principal behind a bearer token: a user session (JWT) or an API key; null when neither is valid. */
export async function authenticate(c: Context<AppEnv>, token: string): Promise<AuthUser | null> {
  const deps = c.get("deps");
  if (looksLikeApiKey(token)) {
    const key = await deps.apiKeys?.authenticate(await hashApiKey(token));
    return key ? { id: key.userId, username: key.username, isAdmin: key.isAdmin, scopes: key.scopes } : null;
  }
  return deps.tokens.verify(token);
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
