import type { Context } from "hono";
import type { z } from "zod";
import { AppError } from "../core/errors.ts";
import { locateJsonError } from "../core/json-error.ts";
import type { AppEnv } from "./context.ts";

export interface FieldError {
  field: string;
  message: string;
}

function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((i) => ({
    field: i.path.join(".") || "body",
    message: i.code === "invalid_type" && i.input === undefined ? "is required" : i.message,
  }));
}

function summary(errors: FieldError[]): string {
  return errors.map((e) => `${e.field}: ${e.message}`).join("; ");
}

/** Query parameters, repeated ones as arrays, validated by `schema`; 400 naming each bad parameter. */
export function parseQuery<S extends z.ZodType>(c: Context<AppEnv>, schema: S): z.output<S> {
  const raw: Record<string, string | string[]> = {};
  for (const [k, values] of Object.entries(c.req.queries()))
    raw[k] = values.length === 1 ? values[0]! : values;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const errors = fieldErrors(parsed.error);
    throw new AppError("BAD_REQUEST", summary(errors), { errors });
  }
  return parsed.data;
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

/**
 * A JSON (or, where `allowForm`, form-encoded) body validated by `schema`: 415 for another content type,
 * 400 for broken JSON, 422 naming each bad field.
 */
export async function readBody<S extends z.ZodType>(
  c: Context<AppEnv>,
  schema: S,
  opts: { allowForm?: boolean } = {},
): Promise<z.output<S>> {
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  let raw: unknown;
  if (type === "application/json" || type.endsWith("+json")) {
    raw = parseJsonText(await c.req.text());
  } else if (
    opts.allowForm &&
    (type === "application/x-www-form-urlencoded" || type === "multipart/form-data")
  ) {
    const form = await c.req.parseBody();
    raw = Object.fromEntries(Object.entries(form).filter(([, v]) => typeof v === "string"));
  } else {
    const accepted = opts.allowForm
      ? "application/json or application/x-www-form-urlencoded"
      : "application/json";
    throw new AppError("UNSUPPORTED_MEDIA_TYPE", `Content-Type must be ${accepted}, got ${type || "none"}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const errors = fieldErrors(parsed.error);
    throw new AppError("VALIDATION_FAILED", summary(errors), { errors });
  }
  return parsed.data;
}
