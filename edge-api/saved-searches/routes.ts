import { createRoute } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { z } from "zod";
import { AppError } from "../../core/errors.ts";
import type { SavedSearchRepo } from "../../core/ports/saved-searches.ts";
import {
  type SavedSearch,
  SavedSearchInputSchema,
  SavedSearchListSchema,
  SavedSearchSchema,
} from "../../core/saved-searches/schema.ts";
import type { AppEnv } from "../context.ts";
import { currentUser, requireAuth } from "../middleware/auth.ts";
import { router } from "../openapi/router.ts";
import { BEARER, json, jsonBody, problems } from "../openapi/spec.ts";

/** Before the body is read: a deployment without a database keeps no saved searches, and says so. */
const available: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!c.get("deps").savedSearches) {
    throw new AppError("UNAVAILABLE", "Saved searches need a database (DATABASE_URL or the embedded one)");
  }
  await next();
};

const repo = (c: Context<AppEnv>): SavedSearchRepo => c.get("deps").savedSearches!;

const IdParams = z.object({
  id: z
    .string()
    .openapi({ param: { name: "id", in: "path" }, example: "1" })
    .describe("the saved search's id"),
});

const EXAMPLE = {
  name: "Checkout errors",
  query: "level:error service:checkout -healthcheck",
  range: "now-1h",
  shared: true,
};

/**
 * The search `id` names, as the caller may see it: its own, a shared one, or any for an admin. A private
 * search of someone else is a 404, as if it did not exist.
 */
async function visible(c: Context<AppEnv>, id: string): Promise<SavedSearch> {
  const n = /^\d{1,15}$/.test(id) ? Number(id) : null;
  const found = n === null ? null : await repo(c).get(n);
  const user = c.get("user");
  if (!found || !(found.shared || found.owner_id === user?.id || (user?.isAdmin && !user.scopes))) {
    throw new AppError("NOT_FOUND", `No saved search ${JSON.stringify(id)} that you can see`);
  }
  return found;
}

/** The search, if the signed-in user may change it: its owner or an admin (403 for a shared one of another). */
async function owned(c: Context<AppEnv>, id: string): Promise<SavedSearch> {
  const found = await visible(c, id);
  const user = currentUser(c);
  if (found.owner_id !== user.id && !user.isAdmin) {
    throw new AppError(
      "FORBIDDEN",
      `Only ${found.owner} (its owner) or an admin can change this saved search`,
    );
  }
  return found;
}

/** What a change to saved searches takes: a session (a user owns what it saves), and the feature available. */
const WRITE = { security: BEARER, middleware: [requireAuth(), available] };

const list = createRoute({
  method: "get",
  path: "/",
  summary: "Your saved searches and those shared by others (only shared ones without a session)",
  description: "A read: with READ_ACCESS=authenticated it takes a session or an API key with the read scope.",
  middleware: [available] as const,
  responses: { 200: json(SavedSearchListSchema, "Saved searches"), ...problems("UNAVAILABLE") },
});

const get = createRoute({
  method: "get",
  path: "/{id}",
  summary: "One saved search: yours, a shared one, or any for an admin",
  middleware: [available] as const,
  request: { params: IdParams },
  responses: { 200: json(SavedSearchSchema, "The saved search"), ...problems("NOT_FOUND", "UNAVAILABLE") },
});

const create = createRoute({
  method: "post",
  path: "/",
  summary: "Save a search (query, services, levels, range, columns) under a name unique among yours",
  ...WRITE,
  request: { body: jsonBody(SavedSearchInputSchema, EXAMPLE) },
  responses: {
    201: json(SavedSearchSchema, "Saved"),
    ...problems("CONFLICT", "UNAVAILABLE"),
  },
});

const update = createRoute({
  method: "put",
  path: "/{id}",
  summary: "Replace a saved search (its owner or an admin); fields left out take their defaults",
  ...WRITE,
  request: { params: IdParams, body: jsonBody(SavedSearchInputSchema, { ...EXAMPLE, range: "24h" }) },
  responses: {
    200: json(SavedSearchSchema, "The saved search"),
    ...problems("FORBIDDEN", "NOT_FOUND", "CONFLICT", "UNAVAILABLE"),
  },
});

const remove = createRoute({
  method: "delete",
  path: "/{id}",
  summary: "Delete a saved search (its owner or an admin)",
  ...WRITE,
  request: { params: IdParams },
  responses: { 204: { description: "Deleted" }, ...problems("FORBIDDEN", "NOT_FOUND", "UNAVAILABLE") },
});

/**
 * /api/v1/saved-searches: named Explore searches (issues 21, 22). Reads follow READ_ACCESS as every
 * read does (app.ts); saving takes a user session; only the owner or an admin changes or deletes one.
 */
export function savedSearchRoutes() {
  const app = router("saved-searches");

  app.openapi(list, async (c) => {
    const user = c.get("user");
    return c.json({ saved_searches: await repo(c).list(user?.id ?? null) }, 200);
  });

  app.openapi(get, async (c) => c.json(await visible(c, c.req.valid("param").id), 200));

  app.openapi(create, async (c) => {
    const saved = await repo(c).create(currentUser(c).id, c.req.valid("json"));
    return c.json(saved, 201);
  });

  app.openapi(update, async (c) => {
    const found = await owned(c, c.req.valid("param").id);
    const saved = await repo(c).update(found.id, c.req.valid("json"));
    if (!saved) throw new AppError("NOT_FOUND", `No saved search ${found.id}`);
    return c.json(saved, 200);
  });

  app.openapi(remove, async (c) => {
    const found = await owned(c, c.req.valid("param").id);
    await repo(c).delete(found.id);
    return c.body(null, 204);
  });

  return app;
}
