import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { AppError } from "../../core/errors.ts";
import { DuplicateUserError } from "../../core/ports/users.ts";
import type { AppEnv } from "../context.ts";
import { currentUser, requireAuth } from "../middleware/auth.ts";
import { readBody } from "../validate.ts";
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

/** POST /api/v1/auth/register, POST /api/v1/auth/login, GET /api/v1/auth/me. */
export function authRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/register", limit, async (c) => {
    const deps = c.get("deps");
    const body = await readBody(c, RegisterSchema);
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

  app.post("/login", limit, async (c) => {
    const deps = c.get("deps");
    const body = await readBody(c, LoginSchema, { allowForm: true });
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
    return c.json(token);
  });

  app.put("/me", requireAuth(), limit, async (c) => {
    const deps = c.get("deps");
    const me = currentUser(c);
    const body = await readBody(c, UpdateMeSchema);
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
      return c.json(user);
    } catch (err) {
      if (err instanceof DuplicateUserError) throw new AppError("CONFLICT", "Email already registered");
      throw err;
    }
  });

  app.get("/users", requireAuth(), async (c) => {
    if (!currentUser(c).isAdmin) throw new AppError("FORBIDDEN", "Only an admin can list users");
    return c.json({ users: await c.get("deps").users.list() });
  });

  app.get("/me", requireAuth(), async (c) => {
    const user = await c.get("deps").users.findById(currentUser(c).id);
    if (!user) throw new AppError("UNAUTHORIZED", "This account no longer exists");
    return c.json(user);
  });

  return app;
}
