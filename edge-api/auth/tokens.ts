import { errors, jwtVerify, SignJWT } from "jose";
import type { AuthUser } from "../context.ts";

const ISSUER = "logflow";
const AUDIENCE = "logflow-api";
/** The only algorithm accepted: a token claiming any other (or `none`) is refused by jose. */
const ALG = "HS256";

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

  async issue(user: AuthUser): Promise<IssuedToken> {
    const expiresIn = this.expireMinutes * 60;
    const token = await new SignJWT({ username: user.username, admin: user.isAdmin })
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

  /** The token's user, or null when the token is forged, expired, or otherwise not ours. */
  async verify(token: string): Promise<AuthUser | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [ALG],
        issuer: ISSUER,
        audience: AUDIENCE,
        requiredClaims: ["sub", "exp", "iat"],
      });
      const id = Number(payload.sub);
      if (!Number.isSafeInteger(id) || typeof payload.username !== "string") return null;
      return { id, username: payload.username, isAdmin: payload.admin === true };
    } catch (err) {
      if (err instanceof errors.JOSEError) return null;
      throw err;
    }
  }
}
