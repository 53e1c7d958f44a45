/**
 * Saved searches (issues 21, 22), once: the API's bodies and answers, the repository's records and the
 * dashboard's types all come from these schemas. A saved search is what Explore's URL holds: the query
 * text, services, levels and time range (plus the columns shown), named by its owner and private to
 * them or shared with everyone.
 */
import { z } from "zod";
import { normalizeRange } from "../../common/ranges.ts";
import { LEVELS, type Level, LevelInputSchema } from "../level.ts";
import { MAX_QUERY_CHARS } from "../query/ast.ts";
import { parseLogQuery, QueryError } from "../query/parse.ts";

/** Query text in the query language, refused (422) with the position when it cannot be parsed. */
export const SavedQuerySchema = z
  .string()
  .max(MAX_QUERY_CHARS, `at most ${MAX_QUERY_CHARS} characters`)
  .superRefine((q, ctx) => {
    try {
      parseLogQuery(q);
    } catch (err) {
      if (!(err instanceof QueryError)) throw err;
      ctx.addIssue({ code: "custom", message: err.message.replace(/^query: /, "") });
    }
  })
  .describe(
    "the query language (README: Query language), as Explore's search box takes it; blank for every event. Text that cannot be parsed is a 422 naming the position",
  );

const RangeSchema = z
  .string()
  .transform((v, ctx) => {
    if (v.trim() === "custom") return "custom";
    // Read as Explore reads it (common/ranges.ts): a range it shows is never refused when saved.
    const r = normalizeRange(v);
    if (!r) {
      ctx.addIssue({
        code: "custom",
        message: `${JSON.stringify(v)} is not a range: use a relative one such as 15m, now-1h, 7d (s, m, h, d, w; up to 400 days), or "custom" with from and to`,
      });
      return z.NEVER;
    }
    return r;
  })
  .describe("a relative range (`15m`, `now-1h`, `7d`; stored as `1h`), or `custom` with `from` and `to`");

/** What the owner sets, on create and on (whole) update. */
export const SavedSearchInputSchema = z
  .object({
    name: z.string().trim().min(1, "must not be empty").max(200, "at most 200 characters"),
    query: SavedQuerySchema.default(""),
    services: z.array(z.string().trim().min(1).max(200)).max(100).default([]),
    levels: z
      .array(LevelInputSchema)
      .max(LEVELS.length * 4)
      .default([])
      .transform((ls) => [...new Set<Level>(ls)]),
    range: RangeSchema.default("1h"),
    from: z.iso.datetime({ offset: true }).nullable().default(null).describe("custom range: its start"),
    to: z.iso.datetime({ offset: true }).nullable().default(null).describe("custom range: its end"),
    columns: z
      .array(z.string().trim().min(1).max(128))
      .max(50)
      .default([])
      .describe("the fields shown as columns, in order; empty for Explore's default"),
    shared: z
      .boolean()
      .default(false)
      .describe("true: every user sees (and can open) it; only its owner edits"),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.range !== "custom") return;
    for (const end of ["from", "to"] as const) {
      if (!s[end]) ctx.addIssue({ code: "custom", path: [end], message: 'required when range is "custom"' });
    }
    if (s.from && s.to && Date.parse(s.from) >= Date.parse(s.to)) {
      ctx.addIssue({ code: "custom", path: ["to"], message: "must be after from" });
    }
  });
export type SavedSearchInput = z.output<typeof SavedSearchInputSchema>;

export const SavedSearchSchema = z.object({
  id: z.number().int(),
  owner: z.string().describe("the owner's username"),
  owner_id: z.number().int(),
  name: z.string(),
  query: z.string(),
  services: z.array(z.string()),
  levels: z.array(z.enum(LEVELS)),
  range: z.string(),
  from: z.string().nullable(),
  to: z.string().nullable(),
  columns: z.array(z.string()),
  shared: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type SavedSearch = z.infer<typeof SavedSearchSchema>;

export const SavedSearchListSchema = z.object({
  saved_searches: z
    .array(SavedSearchSchema)
    .describe("the caller's own, then those shared by others; by name"),
});
export type SavedSearchList = z.infer<typeof SavedSearchListSchema>;
