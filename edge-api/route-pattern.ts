import type { Context } from "hono";
import { matchedRoutes } from "hono/route";

/**
 * The route pattern that takes the request (`/api/v1/logs/:id`), known before the handler runs:
 * Hono matches every handler up front. "unmatched" when no route but catch-all middleware took it.
 * Metrics and rate limits key on this, never on the raw path (unbounded, with ids in it).
 */
export function routePattern(c: Context): string {
  // The first route that is not catch-all middleware answers: Hono runs handlers in registration order,
  // and `/search` is registered before `/:id`, which matches it too.
  for (const route of matchedRoutes(c)) if (!route.path.endsWith("*")) return route.path;
  return "unmatched";
}
