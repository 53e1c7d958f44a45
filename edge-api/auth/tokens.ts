import { errors, jwtVerify, SignJWT } from "jose";

/** What a session token says about its user when it was issued; the user record decides the rest. */
export interface TokenClaims {
  id: number;
  username: string;
  isAdmin: boolean;
  /** The user's token version at issue: a password change, disabling or a change of rights raises it. */
  tokenVersion: number;
}

const ISSUER = "logflow";
const AUDIENCE = "logflow-api";
/** The only algorithm accepted: a token claiming any other (or `none`) is refused by jose. */
const ALG = "HS256";
/** Most verified tokens remembered at once. */
const MAX_VERIFIED = 10_000;

export interface IssuedToken {
  access_token: string;
  token_type: "bearer";
  expires_in: number;
}

/** Signs and verifies LogFlow's access tokens (JWT, HS256, pinned issuer and audience). */
export class TokenService {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly expireMinutes: number,
  ) {
    if (secret.length < 32) throw new Error("SECRET_KEY must be at least 32 characters");
    this.key = new TextEncoder().encode(secret);
  }

  async issue(user: TokenClaims): Promise<IssuedToken> {
    const expiresIn = this.expireMinutes * 60;
    const token = await new SignJWT({ username: user.username, admin: user.isAdmin, ver: user.tokenVersion })
      .setProtectedHeader({ alg: ALG, typ: "JWT" })
      .setSubject(String(user.id))
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${expiresIn}s`)
      .setJti(crypto.randomUUID())
      .sign(this.key);
    return { access_token: token, token_type: "bearer", expires_in: expiresIn };
  }

  /**
   * Tokens verified already, until their own expiry: verifying the HMAC through Web Crypto costs ~0.1 ms,
   * most of a cached API answer. Only successes are kept (a forged token is a different string, so it
   * never matches), bounded so a flood of distinct valid tokens cannot grow memory.
   */
  private readonly verified = new Map<string, { user: TokenClaims; expiresAt: number }>();

  /**
   * The token's claims, or null when the token is forged, expired, or otherwise not ours. Whether its
   * user still exists, is active and has not revoked it is for the caller to check (middleware/auth.ts).
   */
  async verify(token: string): Promise<TokenClaims | null> {
    const known = this.verified.get(token);
    if (known) {
      if (known.expiresAt > Date.now()) return known.user;
      this.verified.delete(token);
      return null;
    }
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [ALG],
        issuer: ISSUER,
        audience: AUDIENCE,
        requiredClaims: ["sub", "exp", "iat"],
      });
      const id = Number(payload.sub);
      if (!Number.isSafeInteger(id) || typeof payload.username !== "string") return null;
      // Tokens issued before token versions existed carry none: version 0, revoked by the first change.
      const ver = payload.ver === undefined ? 0 : payload.ver;
      if (typeof ver !== "number" || !Number.isSafeInteger(ver)) return null;
      const user = { id, username: payload.username, isAdmin: payload.admin === true, tokenVersion: ver };
      if (this.verified.size >= MAX_VERIFIED) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, { user, expiresAt: (payload.exp ?? 0) * 1000 });
      return user;
    } catch (err) {
      if (err instanceof errors.JOSEError) return null;
      throw err;
    }
  }
}
