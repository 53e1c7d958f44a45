import { z } from "zod";
import { LOG_EVENT_FORMATS, type LogEvent, LogEventSchema } from "./log-event.ts";

/** A string field's format: what the schema refines the field with (see LOG_EVENT_FORMATS). */
export type Formats = Readonly<Record<string, { test: (value: string) => boolean }>>;

interface RecordValues {
  string: boolean;
  number: boolean;
  boolean: boolean;
}

/**
 * A fast check equivalent to `schema`, an object of strings, nullable strings, enums and records of
 * scalars: the object when the schema would accept it, as the schema would return it; null otherwise
 * (the caller then asks the schema, which decides and says why). It is read off the schema's shape and
 * runs the schema's own formats, so a field added to the schema is checked without an edit here; a
 * field of another kind, or refined outside `formats`, throws here, at start-up, rather than letting
 * the check and the schema disagree.
 */
export function compileCheck<T>(schema: z.ZodObject, formats: Formats): (raw: unknown) => T | null {
  const strings: string[] = [];
  const nullableStrings: string[] = [];
  const optionalStrings: string[] = [];
  const enumFields: string[] = [];
  const enumValues: ReadonlySet<string>[] = [];
  const recordFields: string[] = [];
  const recordValues: RecordValues[] = [];
  const formatFields = Object.keys(formats);
  const formatTests = formatFields.map((f) => formats[f]!.test);
  const fields = Object.keys(schema.shape);
  const unknown = (field: string, what: string): never => {
    throw new Error(
      `schema field ${field} has ${what}, which compileCheck (core/log-event-check.ts) cannot check`,
    );
  };

  for (const [field, s] of Object.entries(schema.shape) as [string, z.ZodType][]) {
    const refined = (s.def.checks?.length ?? 0) > 0;
    if (refined && !(Object.hasOwn(formats, field) && s instanceof z.ZodString)) {
      unknown(field, "a refinement that is not one of the formats");
    }
    if (Object.hasOwn(formats, field) && !refined) unknown(field, "a format the schema does not check");
    if (s instanceof z.ZodString) strings.push(field);
    else if (
      s instanceof z.ZodOptional &&
      s.unwrap() instanceof z.ZodString &&
      !(s.unwrap() as z.ZodString)._zod.def.checks?.length
    ) {
      optionalStrings.push(field);
    } else if (
      s instanceof z.ZodNullable &&
      s.unwrap() instanceof z.ZodString &&
      !s.unwrap()._zod.def.checks?.length
    ) {
      nullableStrings.push(field);
    } else if (s instanceof z.ZodEnum) {
      enumFields.push(field);
      enumValues.push(new Set(s.options.map(String)));
    } else if (
      s instanceof z.ZodRecord &&
      s.keyType instanceof z.ZodString &&
      !s.keyType.def.checks?.length &&
      s.valueType instanceof z.ZodUnion
    ) {
      const kinds = (s.valueType.options as z.ZodType[]).map((o) =>
        o.def.checks?.length ? "refined" : o.def.type,
      );
      if (!kinds.every((k) => k === "string" || k === "number" || k === "boolean")) {
        unknown(field, `record values of kinds ${kinds.join(", ")}`);
      }
      recordFields.push(field);
      recordValues.push({
        string: kinds.includes("string"),
        number: kinds.includes("number"),
        boolean: kinds.includes("boolean"),
      });
    } else unknown(field, `a ${s.def.type}`);
  }

  // Indexed loops over the field lists: this runs for every event the indexer reads.
  return (raw) => {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return null;
    const r = raw as Record<string, unknown>;
    for (let i = 0; i < strings.length; i++) if (typeof r[strings[i]!] !== "string") return null;
    for (let i = 0; i < nullableStrings.length; i++) {
      const v = r[nullableStrings[i]!];
      if (v !== null && typeof v !== "string") return null; // present, as a string or null
    }
    // An optional field counts among the keys only when it is there (as the schema, which drops undefined).
    let present = fields.length - optionalStrings.length;
    for (let i = 0; i < optionalStrings.length; i++) {
      const v = r[optionalStrings[i]!];
      if (v === undefined) continue;
      if (typeof v !== "string") return null;
      present++;
    }
    for (let i = 0; i < enumFields.length; i++) {
      const v = r[enumFields[i]!];
      if (typeof v !== "string" || !enumValues[i]!.has(v)) return null;
    }
    for (let i = 0; i < recordFields.length; i++) {
      if (!plainRecord(r[recordFields[i]!], recordValues[i]!)) return null;
    }
    for (let i = 0; i < formatFields.length; i++) {
      if (!formatTests[i]!(r[formatFields[i]!] as string)) return null;
    }
    // Every required field is present (checked above), so as many keys as fields present means there
    // are no others.
    let keys = 0;
    for (const _ in r) keys++;
    if (keys === present) return r as T;
    const out: Record<string, unknown> = {};
    for (const f of fields) if (r[f] !== undefined) out[f] = r[f];
    return out as T;
  };
}

function plainRecord(value: unknown, allowed: RecordValues): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  // The schema's copy drops a key named __proto__ (assigning it sets no property): let it decide.
  if (Object.hasOwn(value, "__proto__")) return false;
  const record = value as Record<string, unknown>;
  for (const k in record) {
    const v = record[k];
    if (typeof v === "string") {
      if (!allowed.string) return false;
    } else if (typeof v === "number") {
      // JSON has no NaN or Infinity, but an object built in-process may: the schema refuses them.
      if (!allowed.number || !Number.isFinite(v)) return false;
    } else if (typeof v !== "boolean" || !allowed.boolean) return false;
  }
  return true;
}

/**
 * LogEventSchema's fast check, for the indexer, which checks every event it reads: the schema's general
 * machinery costs several times this (`bun run bench:decode`). `raw` itself when it has no other fields.
 */
export const checkLogEvent: (raw: unknown) => LogEvent | null = compileCheck<LogEvent>(
  LogEventSchema,
  LOG_EVENT_FORMATS,
);

/** A stored event checked against LogEventSchema: the event, or why not (at most five problems). */
export function validateLogEvent(
  raw: unknown,
): { ok: true; event: LogEvent } | { ok: false; reason: string } {
  const event = checkLogEvent(raw);
  if (event) return { ok: true, event };
  const parsed = LogEventSchema.safeParse(raw);
  if (parsed.success) return { ok: true, event: parsed.data };
  const issues = parsed.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join(".") || "event"}: ${i.message}`)
    .join("; ");
  return { ok: false, reason: issues };
}
