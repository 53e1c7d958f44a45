import { OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { ErrorCode } from "../../core/errors.ts";
import type { AppEnv } from "../context.ts";
import { bodyGate, validationHook } from "../validate.ts";
import { withProblems } from "./spec.ts";

function isZod(media: unknown): boolean {
  const schema = (media as { schema?: { safeParse?: unknown } } | undefined)?.schema;
  return typeof schema?.safeParse === "function";
}

/** What a JSON body can be refused for before its handler runs (bodyGate, the validator, the size limit). */
const BODY_PROBLEMS: ErrorCode[] = [
  "INVALID_JSON",
  "UNSUPPORTED_MEDIA_TYPE",
  "VALIDATION_FAILED",
  "PAYLOAD_TOO_LARGE",
];

/**
 * The route as registered: a body its zod schema checks gets `bodyGate` after the route's own
 * middleware, and the answers its declaration implies are documented with the ones it lists.
 */
function withRequestChecks<R extends RouteConfig>(route: R, tag: string): R {
  const content = route.request?.body?.content ?? {};
  const types = Object.keys(content).filter((t) => isZod(content[t]));
  const implied = new Set<ErrorCode>();
  if (route.security?.length) implied.add("UNAUTHORIZED");
  if (route.request?.query) implied.add("BAD_REQUEST");
  if (types.length > 0) {
    for (const code of BODY_PROBLEMS) implied.add(code);
  }
  const checked = { ...route, tags: route.tags ?? [tag], responses: withProblems(route.responses, implied) };
  if (types.length === 0) return checked;
  const own: MiddlewareHandler[] =
    route.middleware === undefined
      ? []
      : Array.isArray(route.middleware)
        ? route.middleware
        : [route.middleware];
  return { ...checked, middleware: [...own, bodyGate(types)] };
}

/**
 * A domain's sub-app, its routes grouped under `tag` in the reference. Each route is declared with
 * `createRoute` and registered with `app.openapi`: the request schemas validate (failures become
 * problem+json through `validationHook`), the response schemas type-check the handler's answers, and
 * both make the OpenAPI document. A route that declares a JSON body gets `bodyGate` before its
 * validator, so that a wrong content type or broken JSON is told apart from a body that fails its schema.
 */
export function router(tag: string): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const register = app.openapi;
  app.openapi = ((route, handler, hook) =>
    register(withRequestChecks(route, tag), handler, hook)) as typeof register;
  return app;
}
