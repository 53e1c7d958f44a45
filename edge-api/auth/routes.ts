import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { AppError } from "../../core/errors.ts";
import { DuplicateUserError } from "../../core/ports/users.ts";
import { judgePassword } from "../../core/users/password-policy.ts";
import {
  AccessTokenSchema,
  type User,
  UserListSchema,
  UserSchema,
  UserWithWarningsSchema,
} from "../../core/users/schema.ts";
import type { AppEnv } from "../context.ts";
import { currentUser, requireAdmin, requireAuth } from "../middleware/auth.ts";
import { limitLoginAccount } from "../middleware/rate-limit.ts";
import { router } from "../openapi/router.ts";
import { BEARER, json, jsonBody, problems } from "../openapi/spec.ts";
import { burnPasswordCheck, hashPassword, verifyPassword } from "./passwords.ts";
import { userStates } from "./user-states.ts";

export const RegisterSchema = z
  .object({
    username: z
      .string()
      .min(3, "must be 3–50 characters")
      .max(50, "must be 3–50 characters")
      .regex(/^[A-Za-z0-9_.-]+$/, "may contain only letters, digits, _ . -"),
    email: z.email("must be a valid email address").max(254),
    // bcrypt reads at most 72 bytes; refusing longer ones beats silently ignoring the rest.
    password: z
      .string()
      .min(8, "must be at least 8 characters")
      .refine((p) => new TextEncoder().encode(p).length <= 72, "must be at most 72 bytes"),
    full_name: z.string().max(200).optional(),
  })
  .strict();

/** What a user may change about themselves: never username, role or activity (no mass assignment). */
export const UpdateMeSchema = z
  .object({
    email: z.email("must be a valid email address").max(254).optional(),
    full_name: z.string().max(200).nullable().optional(),
    password: z
      .string()
      .min(8, "must be at least 8 characters")
      .refine((p) => new TextEncoder().encode(p).length <= 72, "must be at most 72 bytes")
      .optional(),
    current_password: z.string().max(200).optional(),
  })
  .strict()
  .refine((b) => b.password === undefined || b.current_password !== undefined, {
    path: ["current_password"],
    message: "is required to change the password",
  });

/** POST /api/v1/auth/users: an admin creates an account (the only way when REGISTRATION=closed). */
export const CreateUserSchema = RegisterSchema.extend({ is_admin: z.boolean().default(false) }).strict();

/** PATCH /api/v1/auth/users/{id}: an admin disables, enables, promotes or demotes an account. */
export const UserStatusSchema = z
  .object({ is_active: z.boolean().optional(), is_admin: z.boolean().optional() })
  .strict()
  .refine((b) => b.is_active !== undefined || b.is_admin !== undefined, {
    message: "give is_active, is_admin or both",
  });

export const LoginSchema = z.object({
  username: z.string().min(1).max(50),
  password: z.string().min(1).max(200),
});

/** Small JSON and form bodies only on auth routes. */
const limit = bodyLimit({
  maxSize: 16 * 1024,
  onError: () => {
    throw new AppError("PAYLOAD_TOO_LARGE", "Body larger than 16 KiB");
  },
});

const register = createRoute({
  method: "post",
  path: "/register",
  summary: "Register an account",
  description:
    "403 when REGISTRATION=closed (production's default): an admin creates accounts with POST /api/v1/auth/users.",
  middleware: [limit] as const,
  request: {
    body: jsonBody(RegisterSchema, {
      username: "alice",
      email: "alice@example.com",
      password: "secure123",
      full_name: "Alice Smith",
    }),
  },
  responses: { 201: json(UserWithWarningsSchema, "The new account"), ...problems("CONFLICT", "FORBIDDEN") },
});

const createUser = createRoute({
  method: "post",
  path: "/users",
  summary: "Create an account",
  description: "Admin only. Works whatever REGISTRATION says.",
  security: BEARER,
  middleware: [requireAuth(), requireAdmin("create accounts"), limit] as const,
  request: {
    body: jsonBody(CreateUserSchema, {
      username: "bob",
      email: "bob@example.com",
      password: "correct-horse-battery",
      is_admin: false,
    }),
  },
  responses: { 201: json(UserWithWarningsSchema, "The new account"), ...problems("CONFLICT", "FORBIDDEN") },
});

const UserIdParams = z.object({ id: z.string().describe("the user's id") });

const setStatus = createRoute({
  method: "patch",
  path: "/users/{id}",
  summary: "Disable, enable, promote or demote an account; revokes its sessions",
  description: "Admin only, and not on your own account.",
  security: BEARER,
  middleware: [requireAuth(), requireAdmin("change accounts"), limit] as const,
  request: { params: UserIdParams, body: jsonBody(UserStatusSchema, { is_active: false }) },
  responses: { 200: json(UserSchema, "The account"), ...problems("FORBIDDEN", "NOT_FOUND") },
});

const removeUser = createRoute({
  method: "delete",
  path: "/users/{id}",
  summary: "Delete an account, its sessions and its API keys",
  description: "Admin only, and not your own account. Its alert rules and acknowledgements stay, unowned.",
  security: BEARER,
  middleware: [requireAuth(), requireAdmin("delete accounts")] as const,
  request: { params: UserIdParams },
  responses: { 204: { description: "Deleted" }, ...problems("FORBIDDEN", "NOT_FOUND") },
});

const LOGIN_EXAMPLE = { username: "admin", password: "admin123" };

const login = createRoute({
  method: "post",
  path: "/login",
  summary: "Log in for a bearer token (form-encoded as in the seed, or JSON)",
  middleware: [limit] as const,
  request: {
    body: {
      content: {
        "application/x-www-form-urlencoded": { schema: LoginSchema, example: LOGIN_EXAMPLE },
        "application/json": { schema: LoginSchema, example: LOGIN_EXAMPLE },
      },
    },
  },
  responses: { 200: json(AccessTokenSchema, "A session token"), ...problems("UNAUTHORIZED") },
});

const me = createRoute({
  method: "get",
  path: "/me",
  summary: "The signed-in user",
  security: BEARER,
  middleware: [requireAuth()] as const,
  responses: { 200: json(UserSchema, "The account"), ...problems("FORBIDDEN") },
});

const updateMe = createRoute({
  method: "put",
  path: "/me",
  summary: "Change your email, name or password (the password needs current_password)",
  security: BEARER,
  middleware: [requireAuth(), limit] as const,
  request: { body: jsonBody(UpdateMeSchema, { full_name: "Alice B." }) },
  responses: { 200: json(UserWithWarningsSchema, "The account"), ...problems("FORBIDDEN", "CONFLICT") },
});

const users = createRoute({
  method: "get",
  path: "/users",
  summary: "Every account",
  description: "Admin only.",
  security: BEARER,
  middleware: [requireAuth(), requireAdmin("list users")] as const,
  responses: { 200: json(UserListSchema, "Users"), ...problems("FORBIDDEN") },
});

/**
 * Refuse a weak new password (422 naming why: under 8 characters, containing the username or the
 * email's name, or, in production, among the most common breached passwords); outside production a
 * breached one is allowed with a warning, in the answer and the log. Returns the warnings.
 */
function checkNewPassword(
  c: Context<AppEnv>,
  password: string,
  account: { username: string; email?: string | undefined },
): string[] {
  const deps = c.get("deps");
  const verdict = judgePassword(
    password,
    account,
    deps.settings.ENVIRONMENT === "production" ? "refuse" : "warn",
  );
  if (verdict.refusals.length > 0) {
    throw new AppError("VALIDATION_FAILED", `password: ${verdict.refusals.join("; ")}`, {
      errors: verdict.refusals.map((message) => ({ field: "password", message })),
    });
  }
  for (const warning of verdict.warnings) {
    deps.log?.({
      level: "WARN",
      msg: "weak password accepted outside production",
      username: account.username,
      warning,
    });
  }
  return verdict.warnings;
}

/** The answer's body: the account, and the warnings when there are any. */
function withWarnings(user: User, warnings: string[]) {
  return warnings.length > 0 ? { ...user, warnings } : user;
}

function userId(raw: string): number {
  const id = /^\d{1,15}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(id) || id < 1)
    throw new AppError("NOT_FOUND", `No user with id ${JSON.stringify(raw.slice(0, 32))}`);
  return id;
}

function notSelf(c: Context<AppEnv>, id: number, what: string): void {
  if (currentUser(c).id === id) throw new AppError("FORBIDDEN", `An admin cannot ${what} their own account`);
}

/** Create an account from a register or create-user body; a taken name or email is a 409. */
async function createAccount(
  c: Context<AppEnv>,
  body: z.output<typeof RegisterSchema>,
  isAdmin: boolean,
): Promise<User> {
  const deps = c.get("deps");
  try {
    return await deps.users.create({
      username: body.username,
      email: body.email.toLowerCase(),
      hashedPassword: await hashPassword(body.password, deps.settings.BCRYPT_ROUNDS),
      fullName: body.full_name ?? null,
      isAdmin,
    });
  } catch (err) {
    if (err instanceof DuplicateUserError) {
      throw new AppError(
        "CONFLICT",
        err.field === "email" ? "Email already registered" : "Username already registered (in any case)",
      );
    }
    throw err;
  }
}

/**
 * POST /api/v1/auth/register and /login, GET and PUT /me; for admins GET and POST /users, PATCH and
 * DELETE /users/{id}.
 */
export function authRoutes() {
  const app = router("auth");

  app.openapi(register, async (c) => {
    const deps = c.get("deps");
    if (deps.settings.REGISTRATION === "closed") {
      throw new AppError(
        "FORBIDDEN",
        "Registration is closed on this instance (REGISTRATION=closed); ask an admin for an account",
      );
    }
    const body = c.req.valid("json");
    const warnings = checkNewPassword(c, body.password, body);
    const user = await createAccount(c, body, false);
    deps.telemetry?.userRegistered();
    return c.json(withWarnings(user, warnings), 201);
  });

  app.openapi(createUser, async (c) => {
    const body = c.req.valid("json");
    const warnings = checkNewPassword(c, body.password, body);
    const user = await createAccount(c, body, body.is_admin);
    c.get("deps").log?.({
      level: "INFO",
      msg: "account created by an admin",
      user_id: user.id,
      username: user.username,
      is_admin: user.is_admin,
      by: currentUser(c).username,
    });
    return c.json(withWarnings(user, warnings), 201);
  });

  app.openapi(setStatus, async (c) => {
    const deps = c.get("deps");
    const id = userId(c.req.param("id"));
    const body = c.req.valid("json");
    notSelf(c, id, "disable or demote");
    const user = await deps.users.setStatus(id, { isActive: body.is_active, isAdmin: body.is_admin });
    userStates(deps.users, deps.now).forget(id);
    if (!user) throw new AppError("NOT_FOUND", `No user with id ${id}`);
    deps.log?.({
      level: "INFO",
      msg: "account changed by an admin",
      user_id: id,
      ...body,
      by: currentUser(c).username,
    });
    return c.json(user, 200);
  });

  app.openapi(removeUser, async (c) => {
    const deps = c.get("deps");
    const id = userId(c.req.param("id"));
    notSelf(c, id, "delete");
    const removed = await deps.users.remove(id);
    userStates(deps.users, deps.now).forget(id);
    if (!removed) throw new AppError("NOT_FOUND", `No user with id ${id}`);
    deps.log?.({
      level: "INFO",
      msg: "account deleted by an admin",
      user_id: id,
      by: currentUser(c).username,
    });
    return c.body(null, 204);
  });

  app.openapi(login, async (c) => {
    const deps = c.get("deps");
    // One schema for both: the validator of the other media type leaves an empty object.
    const form = c.req.valid("form");
    const body = "username" in form ? form : c.req.valid("json");
    await limitLoginAccount(c, body.username);
    const found = await deps.users.findCredentials(body.username);
    // One answer for an unknown user and a wrong password, in about the same time.
    if (!found) await burnPasswordCheck(body.password, deps.settings.BCRYPT_ROUNDS);
    const ok = found ? await verifyPassword(body.password, found.hashed_password) : false;
    deps.telemetry?.authAttempt(found && ok && found.is_active ? "success" : "failure");
    if (!found || !ok || !found.is_active) {
      throw new AppError("UNAUTHORIZED", "Incorrect username or password", {
        headers: { "WWW-Authenticate": 'Bearer realm="logflow"' },
      });
    }
    const token = await deps.tokens.issue({
      id: found.id,
      username: found.username,
      isAdmin: found.is_admin,
      tokenVersion: found.token_version,
    });
    return c.json(token, 200);
  });

  app.openapi(updateMe, async (c) => {
    const deps = c.get("deps");
    const me = currentUser(c);
    const body = c.req.valid("json");
    let hashedPassword: string | undefined;
    let warnings: string[] = [];
    if (body.password !== undefined) {
      const found = await deps.users.findCredentials(me.username);
      if (!found || !(await verifyPassword(body.current_password ?? "", found.hashed_password))) {
        throw new AppError("FORBIDDEN", "current_password is not correct", {
          errors: [{ field: "current_password", message: "is not correct" }],
        });
      }
      warnings = checkNewPassword(c, body.password, {
        username: found.username,
        email: body.email ?? found.email,
      });
      hashedPassword = await hashPassword(body.password, deps.settings.BCRYPT_ROUNDS);
    }
    try {
      const user = await deps.users.update(me.id, {
        email: body.email?.toLowerCase(),
        fullName: body.full_name,
        hashedPassword,
      });
      // A new password revoked every earlier token, this request's among them.
      if (hashedPassword !== undefined) userStates(deps.users, deps.now).forget(me.id);
      if (!user) throw new AppError("UNAUTHORIZED", "This account no longer exists");
      return c.json(withWarnings(user, warnings), 200);
    } catch (err) {
      if (err instanceof DuplicateUserError) throw new AppError("CONFLICT", "Email already registered");
      throw err;
    }
  });

  app.openapi(users, async (c) => c.json({ users: await c.get("deps").users.list() }, 200));

  app.openapi(me, async (c) => {
    const user = await c.get("deps").users.findById(currentUser(c).id);
    if (!user) throw new AppError("UNAUTHORIZED", "This account no longer exists");
    return c.json(user, 200);
  });

  return app;
}
