import { OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { z } from "zod";
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

/** The names of a request's query parameters that `allowed` does not hold, once each. */
function unknownParams(url: string, allowed: ReadonlySet<string>): string[] {
  return [...new Set(new URL(url).searchParams.keys())].filter((k) => !allowed.has(k));
}

function refuseUnknown(unknown: string[], known: readonly string[]): never {
  const takes = known.length > 0 ? `this endpoint takes ${known.join(", ")}` : "this endpoint takes none";
  const names = unknown.map((k) => JSON.stringify(k.slice(0, 64))).join(", ");
  throw new AppError(
    "BAD_REQUEST",
    `unknown query parameter${unknown.length > 1 ? "s" : ""} ${names} (${takes})`,
    { errors: unknown.map((k) => ({ field: k.slice(0, 64), message: "unknown parameter" })) },
  );
}

/**
 * 400 for a query parameter the route does not declare, naming it: a typo (`serivce=`, `levle=`) would
 * otherwise be ignored and answer what looks like a real, unfiltered result.
 */
function strictQuery(known: readonly string[]): MiddlewareHandler<AppEnv> {
  const allowed = new Set(known);
  return async (c, next) => {
    // Most requests carry no query string: nothing to parse then (this runs on every request: bench:api).
    if (c.req.url.includes("?")) {
      const unknown = unknownParams(c.req.url, allowed);
      if (unknown.length > 0) refuseUnknown(unknown, known);
    }
    await next();
  };
}

type ParseResult = { success: true; data: unknown } | { success: false; error: z.ZodError };
type QuerySchema = { safeParseAsync(value: unknown): Promise<ParseResult> };

/**
 * The route's query validator, in place of @hono/zod-openapi's: the same values (a parameter given
 * once is a string, more often an array), the same hook, and with `strict` the unknown-parameter 400.
 * A request without a query string (the dashboard's polling, a cached metrics answer) reuses the
 * result of parsing `{}`, computed once: the generic validator cost ~10 µs on every request, a sixth
 * of a cached answer's whole cost (bench:api).
 */
function queryValidator(schema: QuerySchema, strict: boolean): MiddlewareHandler<AppEnv> {
  const known = declaredParams(schema);
  const allowed = new Set(known);
  let empty: Promise<ParseResult> | undefined;
  return async (c, next) => {
    let result: ParseResult;
    if (!c.req.url.includes("?")) {
      empty ??= schema.safeParseAsync({});
      result = await empty;
      // A copy: a handler may add to what it was given, and the next request must not see it.
      if (result.success) result = { success: true, data: { ...(result.data as object) } };
    } else {
      if (strict) {
        const unknown = unknownParams(c.req.url, allowed);
        if (unknown.length > 0) refuseUnknown(unknown, known);
      }
      const values = Object.entries(c.req.queries()).map(([k, v]) => [k, v.length === 1 ? v[0] : v]);
      result = await schema.safeParseAsync(Object.fromEntries(values));
    }
    validationHook({ target: "query", ...result }, c);
    c.req.addValidatedData("query", (result as { data: object }).data);
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
  const query = route.request?.query as QuerySchema | undefined;
  if (query) added.push(queryValidator(query, opts.strictQuery === true));
  else if (opts.strictQuery) added.push(strictQuery([]));
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
  app.openapi = ((route, handler, hook) => {
    const checked = withRequestChecks(route, tag, opts);
    if (!checked.request?.query) return register(checked, handler, hook);
    // Documented as declared, but its query validated once, by queryValidator (in its middleware).
    if (!checked.hide) app.openAPIRegistry.registerPath(checked);
    return register(
      { ...checked, hide: true, request: { ...checked.request, query: undefined } },
      handler,
      hook,
    );
  }) as typeof register;
  return app;
}
