import type { Context, MiddlewareHandler } from "hono";
import { AppError } from "../../core/errors.ts";
import type { AppEnv, AuthUser } from "../context.ts";

const UNAUTHORIZED_HEADERS = { "WWW-Authenticate": 'Bearer realm="logflow"' };

function bearer(c: Context<AppEnv>): string | null {
  const h = c.req.header("authorization");
  if (!h) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(h.trim());
  return m ? m[1]! : null;
}

/** Sets `user` when a valid token is presented; never rejects. */
export function optionalAuth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = bearer(c);
    c.set("user", token ? ((await c.get("deps").tokens.verify(token)) ?? undefined) : undefined);
    await next();
  };
}

/** 401 unless a valid token is presented. */
export function requireAuth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.get("user")) return next(); // verified already by optionalAuth
    const token = bearer(c);
    if (!token) throw new AppError("UNAUTHORIZED", "Missing bearer token", { headers: UNAUTHORIZED_HEADERS });
    const user = await c.get("deps").tokens.verify(token);
    if (!user) {
      throw new AppError("UNAUTHORIZED", "Invalid or expired token", { headers: UNAUTHORIZED_HEADERS });
    }
    c.set("user", user);
    await next();
  };
}

export function currentUser(c: Context<AppEnv>): AuthUser {
  const user = c.get("user");
  if (!user) throw new AppError("UNAUTHORIZED", "Authentication required", { headers: UNAUTHORIZED_HEADERS });
  return user;
}
