import { Hono } from "hono";
import { z } from "zod";
import { API_KEY_SCOPES } from "../../core/api-keys/schema.ts";
import { AppError } from "../../core/errors.ts";
import { hashApiKey, newApiKey } from "../auth/api-key-secret.ts";
import type { AppEnv } from "../context.ts";
import { currentUser, requireAuth } from "../middleware/auth.ts";
import { parseQuery, readBody } from "../validate.ts";

export const CreateApiKeySchema = z
  .object({
    name: z.string().trim().min(1, "is required").max(100),
    scopes: z
      .array(z.enum(API_KEY_SCOPES))
      .min(1, "name at least one scope")
      .default(["ingest"])
      .transform((s) => [...new Set(s)]),
  })
  .strict();

const ListSchema = z.object({ all: z.enum(["true", "false"]).optional() });

/**
 * /api/v1/api-keys: a signed-in user creates, lists and revokes their own keys (an admin, anyone's).
 * The key is shown once, at creation; only its hash is stored. Another user's key answers 404, not
 * 403, so ids cannot be probed.
 */
export function apiKeyRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("*", requireAuth());

  app.post("/", async (c) => {
    const deps = c.get("deps");
    const user = currentUser(c);
    if (!deps.apiKeys) throw new AppError("UNAVAILABLE", "API keys are not available on this deployment");
    const body = await readBody(c, CreateApiKeySchema);
    const key = newApiKey();
    const created = await deps.apiKeys.create({
      userId: user.id,
      name: body.name,
      prefix: key.slice(0, 10),
      keyHash: await hashApiKey(key),
      scopes: body.scopes,
    });
    return c.json({ ...created, key }, 201);
  });

  app.get("/", async (c) => {
    const deps = c.get("deps");
    const user = currentUser(c);
    const { all } = parseQuery(c, ListSchema);
    if (all === "true" && !user.isAdmin) throw new AppError("FORBIDDEN", "Only an admin can list every key");
    const keys = (await deps.apiKeys?.list(all === "true" ? undefined : user.id)) ?? [];
    return c.json({ api_keys: keys });
  });

  app.delete("/:id", async (c) => {
    const deps = c.get("deps");
    const user = currentUser(c);
    const id = Number(c.req.param("id"));
    const key = Number.isSafeInteger(id) ? await deps.apiKeys?.get(id) : null;
    if (!key || (key.user_id !== user.id && !user.isAdmin))
      throw new AppError("NOT_FOUND", `No API key ${c.req.param("id")}`);
    if (!(await deps.apiKeys!.revoke(id))) throw new AppError("CONFLICT", "This API key is revoked already");
    return c.body(null, 204);
  });

  return app;
}
