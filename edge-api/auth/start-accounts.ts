import { DEV_ADMIN_PASSWORD } from "../../core/config.ts";
import type { UserRepo } from "../../core/ports/users.ts";
import { EX_CONFIG, StartupError } from "../../core/startup.ts";
import { judgePassword } from "../../core/users/password-policy.ts";
import { hashPassword, verifyPassword } from "./passwords.ts";

type Log = (line: Record<string, unknown>) => void;

/** Thrown at start in production while an account can still be entered with the development password. */
export class DevelopmentPasswordError extends StartupError {
  constructor(readonly usernames: string[]) {
    super(
      EX_CONFIG,
      `Refusing to start with ENVIRONMENT=production: ${usernames.map((u) => JSON.stringify(u)).join(", ")} ` +
        `still ${usernames.length === 1 ? "has" : "have"} the development default password (${DEV_ADMIN_PASSWORD}). ` +
        "For the admin account, set ADMIN_PASSWORD (it is applied at start). For any other, start once " +
        "without ENVIRONMENT=production and change it (PUT /api/v1/auth/me), or have an admin disable or " +
        "delete it (PATCH or DELETE /api/v1/auth/users/{id}).",
    );
    this.name = "DevelopmentPasswordError";
  }
}

/**
 * The admin account of a fresh install (ADMIN_USERNAME, with ADMIN_PASSWORD or in development the
 * default password); true when it was created now. Every Bun start makes it, and so does
 * `bun run db:migrate`, the step that prepares a database for the edge runtimes, which never write it.
 */
export async function ensureAdminAccount(
  users: UserRepo,
  config: {
    ADMIN_USERNAME: string;
    ADMIN_EMAIL: string;
    ADMIN_PASSWORD?: string | undefined;
    BCRYPT_ROUNDS: number;
  },
): Promise<boolean> {
  // Hashing costs ~0.25 s at the default rounds: only when there may be an account to create.
  if (await users.findCredentials(config.ADMIN_USERNAME)) return false;
  return users.ensure({
    username: config.ADMIN_USERNAME,
    email: config.ADMIN_EMAIL,
    hashedPassword: await hashPassword(config.ADMIN_PASSWORD ?? DEV_ADMIN_PASSWORD, config.BCRYPT_ROUNDS),
    fullName: "Administrator",
    isAdmin: true,
  });
}

/**
 * What start-up does about passwords once the admin account exists: ADMIN_PASSWORD, when set, becomes
 * the admin's password (so an install first run in development does not keep admin123 once it is
 * given one; logged without the value, and revoking the admin's earlier sessions); then, in
 * production, refuse to start while any active account still has the development default password.
 */
export async function secureAccountsAtStart(
  users: UserRepo,
  config: {
    ENVIRONMENT: string;
    ADMIN_USERNAME: string;
    ADMIN_PASSWORD?: string | undefined;
    BCRYPT_ROUNDS: number;
  },
  log: Log,
): Promise<void> {
  if (config.ADMIN_PASSWORD && config.ENVIRONMENT !== "production") {
    // Production refuses a weak one in loadConfig; elsewhere it is said, once, at start.
    const verdict = judgePassword(config.ADMIN_PASSWORD, { username: config.ADMIN_USERNAME }, "warn");
    for (const why of [...verdict.refusals, ...verdict.warnings]) {
      log({ level: "WARN", msg: "ADMIN_PASSWORD is weak (refused with ENVIRONMENT=production)", why });
    }
  }
  if (config.ADMIN_PASSWORD) {
    const admin = await users.findCredentials(config.ADMIN_USERNAME);
    if (admin && !(await verifyPassword(config.ADMIN_PASSWORD, admin.hashed_password))) {
      await users.update(admin.id, {
        hashedPassword: await hashPassword(config.ADMIN_PASSWORD, config.BCRYPT_ROUNDS),
      });
      log({
        level: "WARN",
        msg: "the admin account's password was set from ADMIN_PASSWORD; its earlier sessions are revoked",
        username: admin.username,
      });
    }
  }
  if (config.ENVIRONMENT !== "production") return;
  const offenders: string[] = [];
  for (const user of await users.list()) {
    if (!user.is_active) continue; // cannot log in
    const found = await users.findCredentials(user.username);
    if (found && (await verifyPassword(DEV_ADMIN_PASSWORD, found.hashed_password)))
      offenders.push(user.username);
  }
  if (offenders.length > 0) throw new DevelopmentPasswordError(offenders);
}
