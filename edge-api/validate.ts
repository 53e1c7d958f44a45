import type { Context, MiddlewareHandler } from "hono";
import { z } from "zod";
import { AppError, type FieldError } from "../core/errors.ts";
import { locateJsonError } from "../core/json-error.ts";
import type { AppEnv } from "./context.ts";

function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((i) => ({
    field: i.path.join(".") || "body",
    message: i.code === "invalid_type" && i.input === undefined ? "is required" : i.message,
  }));
}

/**
 * What a route's declared request schemas say when a request fails them: 400 BAD_REQUEST for query and
 * path parameters, 422 VALIDATION_FAILED for a body, naming each bad field. Every router's defaultHook.
 */
export function validationHook(
  result: { target: string } & ({ success: true } | { success: false; error: z.ZodError }),
  _c: Context,
): undefined {
  if (result.success) return;
  const errors = fieldErrors(result.error);
  const detail = errors.map((e) => `${e.field}: ${e.message}`).join("; ");
  const body = result.target === "json" || result.target === "form";
  throw new AppError(body ? "VALIDATION_FAILED" : "BAD_REQUEST", detail, { errors });
}

/** "line 3, column 7: expected ',' or '}', got character \"x\"" for text JSON.parse refused. */
export function describeJsonError(text: string): string {
  const at = locateJsonError(text);
  return at ? `line ${at.line}, column ${at.column}: ${at.reason}` : "unreadable";
}

/** Parse JSON text or throw 400 INVALID_JSON saying where it broke. */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError("INVALID_JSON", `Body is not valid JSON: ${describeJsonError(text)}`);
  }
}

const FORM_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data"];

/**
 * Runs before a route's body validator: 415 for a content type the route does not take (the validator
 * would judge an empty object instead), 400 INVALID_JSON saying where broken JSON broke (the validator
 * only says that it did). `types` are the media types the route declares.
 */
export function bodyGate(types: string[]): MiddlewareHandler<AppEnv> {
  const allowForm = types.some((t) => FORM_TYPES.includes(t));
  const accepted = allowForm ? "application/json or application/x-www-form-urlencoded" : "application/json";
  return async (c, next) => {
    const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (type === "application/json" || type.endsWith("+json")) parseJsonText(await c.req.text());
    else if (!(allowForm && FORM_TYPES.includes(type))) {
      throw new AppError("UNSUPPORTED_MEDIA_TYPE", `Content-Type must be ${accepted}, got ${type || "none"}`);
    }
    await next();
  };
}

// Query parameters arrive as a string, or as an array when repeated (`?level=ERROR&level=WARN`). They
// are preprocessed into what the schema checks, so that the document shows that schema (an integer in
// 1–1000, an enum), not the raw string.
const lastOf = (v: unknown) => (Array.isArray(v) ? v[v.length - 1] : v);

/** A parameter taken once, checked by `schema`: when it is repeated, the last value counts. */
export function lastParam<T extends z.ZodType>(schema: T) {
  return z.preprocess(lastOf, schema);
}

/** A number checked by `schema`, taken once. */
export function numberParam(schema: z.ZodNumber) {
  return z.preprocess((v) => Number(lastOf(v)), schema);
}

/** A whole number in [min, max], taken once. */
export function intParam(min: number, max: number) {
  return numberParam(z.number().int().min(min).max(max));
}

/** A list: repeated (`level=ERROR&level=WARN`), comma-separated (`level=ERROR,WARN`) or both. */
export const listParam = z.preprocess(
  (v) =>
    (Array.isArray(v) ? v : [v])
      .flatMap((s) => String(s).split(","))
      .map((s) => s.trim())
      .filter(Boolean),
  z.array(z.string()),
);
