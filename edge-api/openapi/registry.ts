import { z } from "zod";
import { ERROR_CODES, type ErrorCode, statusOf, titleOf } from "../../core/errors.ts";

/** How a route is authorised, as the reference shows it. */
export type RouteAuth = "none" | "session" | "session-or-key" | "admin";

/** One route's documentation, built from the same zod schemas the route validates with. */
export interface RouteDoc {
  method: "get" | "post" | "put" | "delete";
  /** Hono-style path: `/api/v1/logs/:id`. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  auth: RouteAuth;
  /** Query parameters (an object schema); each property becomes one parameter. */
  query?: z.ZodObject;
  /** Path parameters' descriptions. */
  params?: Record<string, string>;
  body?: { schema: z.ZodType; contentTypes?: string[]; example?: unknown };
  response: { status: number; description: string; schema?: z.ZodType; example?: unknown };
  /** The error codes this route can answer with (problem+json). */
  errors: ErrorCode[];
}

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(ERROR_CODES),
    request_id: z.string(),
    errors: z
      .array(z.object({ field: z.string().optional(), index: z.number().optional() }).loose())
      .optional(),
  })
  .meta({ id: "Problem", description: "RFC 9457 problem details" });

/**
 * JSON Schema for OpenAPI from a zod schema. Schemas with a `meta({ id })` come back as definitions; they
 * are hoisted into `components` and their references re-pointed there.
 */
function converter(components: Record<string, unknown>) {
  return (s: z.ZodType, io: "input" | "output"): Record<string, unknown> => {
    const out = z.toJSONSchema(s, { io, unrepresentable: "any", target: "openapi-3.0" }) as Record<
      string,
      unknown
    >;
    // The OpenAPI 3.0 target names them `definitions`; newer targets `$defs`.
    const {
      $schema: _,
      $defs,
      definitions,
      ...rest
    } = out as {
      $schema?: unknown;
      $defs?: Record<string, unknown>;
      definitions?: Record<string, unknown>;
    };
    const repoint = (v: unknown): unknown =>
      JSON.parse(
        JSON.stringify(v)
          .replaceAll('"#/$defs/', '"#/components/schemas/')
          .replaceAll('"#/definitions/', '"#/components/schemas/'),
      );
    for (const [name, def] of Object.entries({ ...$defs, ...definitions })) components[name] = repoint(def);
    return repoint(rest) as Record<string, unknown>;
  };
}

/** The OpenAPI 3.0 document for these routes. */
export function openApiDocument(
  routes: RouteDoc[],
  info: { title: string; version: string },
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const components: Record<string, unknown> = {};
  const schema = converter(components);
  for (const r of routes) {
    const path = r.path.replace(/:([A-Za-z_]+)/g, "{$1}");
    const parameters: unknown[] = [];
    for (const name of r.path.match(/:([A-Za-z_]+)/g)?.map((p) => p.slice(1)) ?? []) {
      parameters.push({
        name,
        in: "path",
        required: true,
        schema: { type: "string" },
        description: r.params?.[name],
      });
    }
    if (r.query) {
      const q = schema(r.query, "input") as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, s] of Object.entries(q.properties ?? {})) {
        const description = (s as { description?: string }).description;
        parameters.push({
          name,
          in: "query",
          required: q.required?.includes(name) ?? false,
          schema: s,
          description,
        });
      }
    }
    const responses: Record<string, unknown> = {
      [r.response.status]: {
        description: r.response.description,
        ...(r.response.schema
          ? {
              content: {
                "application/json": {
                  schema: schema(r.response.schema, "output"),
                  ...(r.response.example !== undefined ? { example: r.response.example } : {}),
                },
              },
            }
          : {}),
      },
    };
    for (const code of new Set<ErrorCode>([...r.errors, "INTERNAL"])) {
      const status = statusOf(code);
      const existing = responses[status] as { description: string } | undefined;
      responses[status] = {
        description: existing ? `${existing.description}; ${titleOf(code)}` : titleOf(code),
        content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
      };
    }
    const operation: Record<string, unknown> = {
      summary: r.summary,
      description: r.description,
      tags: [r.tag],
      parameters,
      responses,
    };
    if (r.auth !== "none") operation.security = [{ bearer: [] }];
    if (r.auth === "admin") operation.description = `${r.description ?? ""} Admin only.`.trim();
    if (r.auth === "session-or-key") {
      operation.description = `${r.description ?? ""} Accepts a user session or an API key.`.trim();
    }
    if (r.body) {
      const body = schema(r.body.schema, "input");
      operation.requestBody = {
        required: true,
        content: Object.fromEntries(
          (r.body.contentTypes ?? ["application/json"]).map((t) => [
            t,
            { schema: body, ...(r.body?.example !== undefined ? { example: r.body.example } : {}) },
          ]),
        ),
      };
    }
    paths[path] ??= {};
    paths[path][r.method] = operation;
  }
  schema(ProblemSchema, "output"); // hoists itself into components as "Problem" (its meta id)
  return {
    openapi: "3.0.3",
    info,
    paths,
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "A session token or an API key" },
      },
      schemas: components,
    },
  };
}
