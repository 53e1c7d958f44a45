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

  app.get("/me", requireAuth(), async (c) => {
    const user = await c.get("deps").users.findById(currentUser(c).id);
    if (!user) throw new AppError("UNAUTHORIZED", "This account no longer exists");
    return c.json(user);
  });

  return app;
}
