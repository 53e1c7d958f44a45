import { OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { AppError, type ErrorCode } from "../../core/errors.ts";
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

/** The parameter names a route's query schema declares (a zod object, perhaps refined). */
function declaredParams(schema: unknown): string[] {
  const shape = (schema as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

/**
 * 400 for a query parameter the route does not declare, naming it: a typo (`serivce=`, `levle=`) would
 * otherwise be ignored and answer what looks like a real, unfiltered result.
 */
export function strictQuery(known: readonly string[]): MiddlewareHandler<AppEnv> {
  const allowed = new Set(known);
  const takes = known.length > 0 ? `this endpoint takes ${known.join(", ")}` : "this endpoint takes none";
  return async (c, next) => {
    const unknown = [...new Set(new URL(c.req.url).searchParams.keys())].filter((k) => !allowed.has(k));
    if (unknown.length > 0) {
      const names = unknown.map((k) => JSON.stringify(k.slice(0, 64))).join(", ");
      throw new AppError(
        "BAD_REQUEST",
        `unknown query parameter${unknown.length > 1 ? "s" : ""} ${names} (${takes})`,
        { errors: unknown.map((k) => ({ field: k.slice(0, 64), message: "unknown parameter" })) },
      );
    }
    await next();
  };
}

/** What a router checks beyond each route's schemas. */
export interface RouterOptions {
  /** Refuse query parameters a route does not declare (400 naming them), instead of ignoring them. */
  strictQuery?: boolean;
}

/**
 * The route as registered: a body its zod schema checks gets `bodyGate` after the route's own
 * middleware, unknown query parameters are refused when the router is strict, and the answers its
 * declaration implies are documented with the ones it lists.
 */
function withRequestChecks<R extends RouteConfig>(route: R, tag: string, opts: RouterOptions): R {
  const content = route.request?.body?.content ?? {};
  const types = Object.keys(content).filter((t) => isZod(content[t]));
  const implied = new Set<ErrorCode>();
  if (route.security?.length) implied.add("UNAUTHORIZED");
  if (route.request?.query || opts.strictQuery) implied.add("BAD_REQUEST");
  if (types.length > 0) {
    for (const code of BODY_PROBLEMS) implied.add(code);
  }
  const checked = { ...route, tags: route.tags ?? [tag], responses: withProblems(route.responses, implied) };
  const own: MiddlewareHandler[] =
    route.middleware === undefined
      ? []
      : Array.isArray(route.middleware)
        ? route.middleware
        : [route.middleware];
  const added: MiddlewareHandler[] = [];
  if (opts.strictQuery) added.push(strictQuery(declaredParams(route.request?.query)));
  if (types.length > 0) added.push(bodyGate(types));
  if (added.length === 0) return checked;
  return { ...checked, middleware: [...own, ...added] };
}

/**
 * A domain's sub-app, its routes grouped under `tag` in the reference. Each route is declared with
 * `createRoute` and registered with `app.openapi`: the request schemas validate (failures become
 * problem+json through `validationHook`), the response schemas type-check the handler's answers, and
 * both make the OpenAPI document. A route that declares a JSON body gets `bodyGate` before its
 * validator, so that a wrong content type or broken JSON is told apart from a body that fails its schema.
 */
export function router(tag: string, opts: RouterOptions = {}): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const register = app.openapi;
  app.openapi = ((route, handler, hook) =>
    register(withRequestChecks(route, tag, opts), handler, hook)) as typeof register;
  return app;
}
