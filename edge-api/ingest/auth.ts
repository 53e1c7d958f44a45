import type { MiddlewareHandler } from "hono";
import { AppError } from "../../core/errors.ts";
import type { AppEnv } from "../context.ts";
import { authenticate } from "../middleware/auth.ts";

/** Shippers that only do Basic auth (rsyslog, syslog-ng, Loki clients) are told they may. */
const CHALLENGE = { "WWW-Authenticate": 'Bearer realm="logflow", Basic realm="logflow"' };

function decodeBase64(text: string): string | null {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0)),
    );
  } catch {
    return null;
  }
}

/**
 * The API key or session token in an `Authorization` header, in the forms shippers can send:
 * `Bearer <key or token>`; `ApiKey <key>` or `ApiKey <base64(id:key)>` (Elasticsearch clients, the
 * id being anything); `Basic <base64(user:key)>` with any user name (the key as the password, or as
 * the user name when the password is empty). Null when the header carries none of these.
 */
export function ingestCredential(header: string | null | undefined): string | null {
  const m = /^\s*(Bearer|ApiKey|Basic)\s+(\S+)\s*$/i.exec(header ?? "");
  if (!m) return null;
  const scheme = m[1]!.toLowerCase();
  const value = m[2]!;
  if (scheme === "bearer") return value;
  if (scheme === "apikey") {
    if (value.startsWith("lf_")) return value;
    const decoded = decodeBase64(value);
    if (decoded === null) return value;
    const colon = decoded.indexOf(":");
    return colon < 0 ? decoded : decoded.slice(colon + 1);
  }
  const decoded = decodeBase64(value);
  if (decoded === null) return null;
  const colon = decoded.indexOf(":");
  if (colon < 0) return decoded || null;
  const password = decoded.slice(colon + 1);
  return password || decoded.slice(0, colon) || null;
}

/**
 * Ingest's authentication, for every protocol: an API key with the `ingest` scope or a user session,
 * presented as `ingestCredential` reads it. With INGEST_AUTH=none nothing is asked (private networks).
 */
export function requireIngestAuth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const deps = c.get("deps");
    if (deps.settings.INGEST_AUTH === "none") return next();
    let user = c.get("user"); // a Bearer token, verified already by optionalAuth
    if (!user) {
      const credential = ingestCredential(c.req.header("authorization"));
      if (!credential) {
        throw new AppError(
          "UNAUTHORIZED",
          "Missing credentials: send an API key with the ingest scope as Authorization: Bearer <key>, ApiKey <key> or Basic auth with the key as the password",
          { headers: CHALLENGE },
        );
      }
      user = (await authenticate(c, credential)) ?? undefined;
      if (!user) {
        throw new AppError("UNAUTHORIZED", "Invalid, expired or revoked API key or token", {
          headers: CHALLENGE,
        });
      }
      c.set("user", user);
    }
    if (user.scopes && !user.scopes.includes("ingest")) {
      throw new AppError("FORBIDDEN", "This API key lacks the ingest scope");
    }
    await next();
  };
}
