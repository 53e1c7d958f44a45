import { OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import { bodyGate, validationHook } from "../validate.ts";

function isZod(media: unknown): boolean {
  const schema = (media as { schema?: { safeParse?: unknown } } | undefined)?.schema;
  return typeof schema?.safeParse === "function";
}

/** The route with the body gate after its own middleware when it declares a body a zod schema checks. */
function withBodyGate<R extends RouteConfig>(route: R): R {
  const content = route.request?.body?.content ?? {};
  const types = Object.keys(content).filter((t) => isZod(content[t]));
  if (types.length === 0) return route;
  const own: MiddlewareHandler[] =
    route.middleware === undefined
      ? []
      : Array.isArray(route.middleware)
        ? route.middleware
        : [route.middleware];
  return { ...route, middleware: [...own, bodyGate(types)] };
}

/**
 * A domain's sub-app. Its routes are declared with `createRoute` and registered with `app.openapi`:
 * the request schemas validate (failures become problem+json through `validationHook`), the response
 * schemas type-check the handler's answers, and both make the OpenAPI document. A route that declares
 * a JSON body gets `bodyGate` before its validator, so that a wrong content type or broken JSON is
 * told apart from a body that fails its schema.
 */
export function router(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const register = app.openapi;
  app.openapi = ((route, handler, hook) => register(withBodyGate(route), handler, hook)) as typeof register;
  return app;
}
