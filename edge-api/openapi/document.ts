import { type OpenAPIHono, z as openApiZod } from "@hono/zod-openapi";
import type { z } from "zod";
import { LogEventInputSchema } from "../../core/log-event.ts";
import type { AppEnv } from "../context.ts";
import { ruleFor } from "../middleware/rate-limit.ts";
import EXAMPLES from "./examples.json" with { type: "json" };
import { withProblems } from "./spec.ts";

/**
 * Real answers captured from a walk through the API (`bun run docs:examples`, see example-flow.ts), by
 * `METHOD /path`. A route's own example wins over the captured one.
 */
const CAPTURED = EXAMPLES as Record<string, unknown>;

/** `/api/v1/logs/{id}` → `/api/v1/logs/:id`, as Hono and the captured examples name routes. */
const honoPath = (path: string) => path.replace(/\{(\w+)\}/g, ":$1");

/** One operation's successful JSON answer, as its route declares it. */
export interface DocumentedRoute {
  /** `METHOD /hono/:path`. */
  route: string;
  /** The first 2xx status and its JSON schema, when the route answers JSON. */
  success?: { status: number; schema?: z.ZodType; example?: unknown };
}

interface RouteDefinition {
  type: "route";
  route: {
    method: string;
    path: string;
    responses: Record<
      string,
      { content?: Record<string, { schema?: unknown; example?: unknown } | undefined> }
    >;
  };
}

/** Every operation registered on `app` (its sub-apps' included), with its answer's schema and example. */
export function documentedRoutes(app: OpenAPIHono<AppEnv>): DocumentedRoute[] {
  const out: DocumentedRoute[] = [];
  for (const def of app.openAPIRegistry.definitions) {
    if (def.type !== "route") continue;
    const { method, path, responses } = (def as RouteDefinition).route;
    const route = `${method.toUpperCase()} ${honoPath(path)}`;
    const ok = Object.keys(responses)
      .map(Number)
      .find((s) => s >= 200 && s < 300);
    const media = ok === undefined ? undefined : responses[ok]?.content?.["application/json"];
    out.push({
      route,
      success:
        ok === undefined
          ? undefined
          : {
              status: ok,
              schema: media?.schema as z.ZodType | undefined,
              example: media ? (media.example ?? CAPTURED[route]) : undefined,
            },
    });
  }
  return out;
}

const built = new WeakMap<object, unknown>();

/**
 * The OpenAPI 3.0 document of `app`'s routes, generated from their zod schemas the first time it is
 * asked for (Workers build the app for every request; the document is rarely wanted).
 */
export function openApiDocument(app: OpenAPIHono<AppEnv>): unknown {
  const known = built.get(app);
  if (known) return known;
  const registry = app.openAPIRegistry;
  registry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "A session token or an API key",
  });
  // Ingest describes its body by reference: each event is validated on its own, not the body whole.
  // Registered through a copy made now: zod gives `.openapi()` only to schemas created after
  // @hono/zod-openapi extended it, and core's schemas may be older (a process that loaded core first).
  registry.register(
    "LogEventInput",
    openApiZod
      .object(LogEventInputSchema.shape)
      .loose()
      .meta(LogEventInputSchema.meta() ?? {}),
  );
  for (const def of registry.definitions) {
    if (def.type !== "route") continue;
    const path = honoPath(def.route.path);
    if (ruleFor(def.route.method.toUpperCase(), path, path)) {
      def.route.responses = withProblems(def.route.responses, ["RATE_LIMITED"]);
    }
  }
  const doc = app.getOpenAPIDocument({
    openapi: "3.0.3",
    info: { title: "LogFlow API", version: "1" },
  });
  for (const [path, operations] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(operations as Record<string, { responses?: object }>)) {
      const captured = CAPTURED[`${method.toUpperCase()} ${honoPath(path)}`];
      if (captured === undefined) continue;
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        const media = (response as { content?: Record<string, { example?: unknown }> }).content?.[
          "application/json"
        ];
        if (Number(status) >= 200 && Number(status) < 300 && media && media.example === undefined) {
          media.example = captured;
        }
      }
    }
  }
  built.set(app, doc);
  return doc;
}
