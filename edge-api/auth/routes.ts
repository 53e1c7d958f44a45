import { createRoute } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { AppError } from "../../core/errors.ts";
import { DuplicateUserError } from "../../core/ports/users.ts";
import { AccessTokenSchema, UserListSchema, UserSchema } from "../../core/users/schema.ts";
import { currentUser, requireAdmin, requireAuth } from "../middleware/auth.ts";
import { router } from "../openapi/router.ts";
import { BEARER, json, jsonBody, problems } from "../openapi/spec.ts";
import { burnPasswordCheck, hashPassword, verifyPassword } from "./passwords.ts";

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
  middleware: [limit] as const,
  request: {
    body: jsonBody(RegisterSchema, {
      username: "alice",
      email: "alice@example.com",
      password: "secure123",
      full_name: "Alice Smith",
    }),
  },
  responses: { 201: json(UserSchema, "The new account"), ...problems("CONFLICT") },
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
  responses: { 200: json(UserSchema, "The account"), ...problems("FORBIDDEN", "CONFLICT") },
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

/** POST /api/v1/auth/register and /login, GET and PUT /me, GET /users (admin). */
export function authRoutes() {
  const app = router("auth");

  app.openapi(register, async (c) => {
    const deps = c.get("deps");
    const body = c.req.valid("json");
    try {
      const user = await deps.users.create({
        username: body.username,
        email: body.email.toLowerCase(),
        hashedPassword: await hashPassword(body.password, deps.settings.BCRYPT_ROUNDS),
        fullName: body.full_name ?? null,
        isAdmin: false,
      });
      deps.telemetry?.userRegistered();
      return c.json(user, 201);
    } catch (err) {
      if (err instanceof DuplicateUserError) {
        throw new AppError("CONFLICT", `${err.field === "email" ? "Email" : "Username"} already registered`);
      }
      throw err;
    }
  });

  app.openapi(login, async (c) => {
    const deps = c.get("deps");
    // One schema for both: the validator of the other media type leaves an empty object.
    const form = c.req.valid("form");
    const body = "username" in form ? form : c.req.valid("json");
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
    });
    return c.json(token, 200);
  });

  app.openapi(updateMe, async (c) => {
    const deps = c.get("deps");
    const me = currentUser(c);
    const body = c.req.valid("json");
    let hashedPassword: string | undefined;
    if (body.password !== undefined) {
      const found = await deps.users.findCredentials(me.username);
      if (!found || !(await verifyPassword(body.current_password ?? "", found.hashed_password))) {
        throw new AppError("FORBIDDEN", "current_password is not correct", {
          errors: [{ field: "current_password", message: "is not correct" }],
        });
      }
      hashedPassword = await hashPassword(body.password, deps.settings.BCRYPT_ROUNDS);
    }
    try {
      const user = await deps.users.update(me.id, {
        email: body.email?.toLowerCase(),
        fullName: body.full_name,
        hashedPassword,
      });
      if (!user) throw new AppError("UNAUTHORIZED", "This account no longer exists");
      return c.json(user, 200);
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
