import { createRoute } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { z } from "zod";
import { API_KEY_SCOPES, ApiKeyListSchema, CreatedApiKeySchema } from "../../core/api-keys/schema.ts";
import { AppError } from "../../core/errors.ts";
import { hashApiKey, newApiKey } from "../auth/api-key-secret.ts";
import type { AppEnv } from "../context.ts";
import { currentUser, requireAuth } from "../middleware/auth.ts";
import { router } from "../openapi/router.ts";
import { BEARER, json, jsonBody, problems } from "../openapi/spec.ts";

const CreateApiKeySchema = z
  .object({
    name: z.string().trim().min(1, "is required").max(100),
    scopes: z
      .array(z.enum(API_KEY_SCOPES))
      .min(1, "name at least one scope")
      .default(["ingest"])
      .transform((s) => [...new Set(s)]),
  })
  .strict();

/** Before the body is read: a deployment without the repository says so whatever the body. */
const keysAvailable: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!c.get("deps").apiKeys) {
    throw new AppError("UNAVAILABLE", "API keys are not available on this deployment");
  }
  await next();
};

const create = createRoute({
  method: "post",
  path: "/",
  summary: "Create an API key for a shipper; the key is shown once",
  security: BEARER,
  middleware: [keysAvailable] as const,
  request: { body: jsonBody(CreateApiKeySchema, { name: "vector on web-1", scopes: ["ingest"] }) },
  responses: {
    201: json(CreatedApiKeySchema, "The key (only now) and its record"),
    ...problems("FORBIDDEN", "UNAVAILABLE"),
  },
});

const list = createRoute({
  method: "get",
  path: "/",
  summary: "Your API keys (admin: ?all=true for everyone's)",
  security: BEARER,
  request: { query: z.object({ all: z.enum(["true", "false"]).optional() }) },
  responses: { 200: json(ApiKeyListSchema, "Keys, never the secrets"), ...problems("FORBIDDEN") },
});

const revoke = createRoute({
  method: "delete",
  path: "/{id}",
  summary: "Revoke an API key (yours, or any as admin); another user's key answers 404",
  security: BEARER,
  request: { params: z.object({ id: z.string().describe("The key's id") }) },
  responses: { 204: { description: "Revoked" }, ...problems("FORBIDDEN", "NOT_FOUND", "CONFLICT") },
});

/**
 * /api/v1/api-keys: a signed-in user creates, lists and revokes their own keys (an admin, anyone's).
 * The key is shown once, at creation; only its hash is stored. Another user's key answers 404, not
 * 403, so ids cannot be probed.
 */
export function apiKeyRoutes() {
  const app = router("api keys");
  app.use("*", requireAuth());

  app.openapi(create, async (c) => {
    const deps = c.get("deps");
    const user = currentUser(c);
    const body = c.req.valid("json");
    const key = newApiKey();
    const created = await deps.apiKeys!.create({
      userId: user.id,
      name: body.name,
      prefix: key.slice(0, 10),
      keyHash: await hashApiKey(key),
      scopes: body.scopes,
    });
    return c.json({ ...created, key }, 201);
  });

  app.openapi(list, async (c) => {
    const deps = c.get("deps");
    const user = currentUser(c);
    const { all } = c.req.valid("query");
    if (all === "true" && !user.isAdmin) throw new AppError("FORBIDDEN", "Only an admin can list every key");
    const keys = (await deps.apiKeys?.list(all === "true" ? undefined : user.id)) ?? [];
    return c.json({ api_keys: keys }, 200);
  });

  app.openapi(revoke, async (c) => {
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
