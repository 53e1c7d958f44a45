import { z } from "zod";
import {
  type DecodedItem,
  type DecodeFailure,
  type DecodeOptions,
  type ItemOutcome,
  LineReader,
  tooMany,
} from "./decoded.ts";
import { type Fields, mapRecord } from "./mapping.ts";

/** The four bulk actions Elasticsearch knows; LogFlow stores `index` and `create`, and refuses the others per item. */
const ACTIONS = new Set(["index", "create", "update", "delete"]);
/** Elasticsearch refuses longer ids (in UTF-8 bytes); so do we, per item. */
const MAX_ID_BYTES = 512;

/** One action of a bulk request, with its document decoded. */
export interface BulkAction {
  op: "index" | "create" | "update" | "delete";
  /** `_index` of the action, else the one in the path, else "". */
  index: string;
  /** The client's `_id`, when it gave one. */
  id?: string;
  item: DecodedItem;
}

export interface BulkOptions extends DecodeOptions {
  /** The index named in the path (`POST /{index}/_bulk`), the default for actions that name none. */
  index?: string;
}

/**
 * Decode an Elasticsearch `_bulk` body (NDJSON: an action line, then a document line for `index`,
 * `create` and `update`). Blank lines are skipped and `_type`, `pipeline`, `routing` and other action
 * metadata are tolerated. A document is mapped with its index name as the service it falls back to,
 * and an `_id` becomes the key of its event id, so a replayed request stores nothing twice.
 * A line that is not an action, or an unknown action, fails the whole request as Elasticsearch does:
 * past it, which line is a document cannot be known.
 */
export function decodeBulk(
  text: string,
  options: BulkOptions,
): { ok: true; actions: BulkAction[] } | DecodeFailure {
  const lines = new LineReader(text);
  const actions: BulkAction[] = [];
  for (let line = lines.next(); line !== null; line = lines.next()) {
    if (isBlank(line)) continue;
    const action = parseAction(line, lines.lineNo);
    if (typeof action === "string") return { ok: false, code: "BAD_REQUEST", error: action };
    if (actions.length >= options.maxEvents) {
      return tooMany(options.maxEvents, "actions in one bulk request");
    }
    const { op, meta } = action;
    const index = typeof meta._index === "string" ? meta._index : (options.index ?? "");
    const rawId = meta._id;
    const id = typeof rawId === "string" || typeof rawId === "number" ? String(rawId) : undefined;
    const entry: BulkAction = { op, index, item: { ok: false, error: "" } };
    if (id !== undefined) entry.id = id;
    actions.push(entry);
    if (op === "delete") {
      entry.item = {
        ok: false,
        error: "delete is not supported: LogFlow keeps logs until retention drops them",
      };
      continue;
    }
    let source = lines.next();
    while (source !== null && isBlank(source)) source = lines.next();
    if (source === null) {
      entry.item = { ok: false, error: `the ${op} action on line ${lines.lineNo} has no document after it` };
      break;
    }
    if (op === "update") {
      entry.item = { ok: false, error: "update is not supported: LogFlow stores logs append-only" };
    } else if (
      id !== undefined &&
      id.length * 3 > MAX_ID_BYTES &&
      new TextEncoder().encode(id).length > MAX_ID_BYTES
    ) {
      entry.item = { ok: false, error: `_id is longer than ${MAX_ID_BYTES} bytes` };
    } else {
      entry.item = decodeDocument(source, lines.lineNo, index, id, options);
    }
  }
  return { ok: true, actions };
}

function isBlank(line: string): boolean {
  return line.trim() === "";
}

type Action = { op: BulkAction["op"]; meta: Fields };

function parseAction(line: string, lineNo: number): Action | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return `line ${lineNo}: expected an action ({"index": {...}} or {"create": {...}}), got text that is not JSON`;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return `line ${lineNo}: expected an action object ({"index": {...}}), got ${Array.isArray(value) ? "an array" : typeof value}`;
  }
  const keys = Object.keys(value);
  const op = keys[0];
  if (keys.length !== 1 || op === undefined || !ACTIONS.has(op)) {
    return `line ${lineNo}: unknown action ${JSON.stringify(keys.join(","))} (expected index, create, update or delete)`;
  }
  const meta = (value as Record<string, unknown>)[op];
  if (meta === null || typeof meta !== "object" || Array.isArray(meta)) {
    return `line ${lineNo}: the ${op} action's metadata must be an object`;
  }
  return { op: op as Action["op"], meta: meta as Fields };
}

function decodeDocument(
  source: string,
  lineNo: number,
  index: string,
  id: string | undefined,
  options: BulkOptions,
): DecodedItem {
  let doc: unknown;
  try {
    doc = JSON.parse(source);
  } catch {
    return { ok: false, error: `line ${lineNo}: the document is not valid JSON` };
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    return { ok: false, error: `line ${lineNo}: the document must be a JSON object` };
  }
  const mapped = mapRecord(
    { fields: [doc as Fields], service: index, fallbackMessage: source.trim() },
    options.limits,
  );
  if (!mapped.ok) return mapped;
  return id === undefined ? mapped : { ...mapped, idKey: `es\0${index}\0${id}` };
}

const BulkItemResultSchema = z.object({
  _index: z.string(),
  _id: z.string().nullable(),
  status: z.number().int(),
  result: z.literal("created").optional(),
  _version: z.number().int().optional(),
  _shards: z.object({ total: z.number(), successful: z.number(), failed: z.number() }).optional(),
  _seq_no: z.number().int().optional(),
  _primary_term: z.number().int().optional(),
  error: z.object({ type: z.string(), reason: z.string() }).optional(),
});

/** Elasticsearch's bulk answer: one item per action, in order, keyed by the action's name. */
export const BulkResponseSchema = z
  .object({
    took: z.number().int().describe("Milliseconds the request took"),
    errors: z.boolean().describe("True when any item failed"),
    items: z.array(z.partialRecord(z.enum(["index", "create", "update", "delete"]), BulkItemResultSchema)),
  })
  .meta({ id: "BulkResponse" });
export type BulkResponse = z.infer<typeof BulkResponseSchema>;

/** Why valid documents were not stored after all (the queue was full, the store failed). */
export interface BulkNotStored {
  /** 429 asks clients to retry just these items (elasticsearch-js's helpers.bulk, Beats, Vector do). */
  status: number;
  type: string;
  reason: string;
}

/**
 * The answer to a bulk request, in Elasticsearch's shape. `outcomes` are `acceptItems`'s, one per
 * action. A stored document is `201 created`: a replay of an `_id` also answers 201, since the store
 * keeps the first copy without telling (Elasticsearch's `create` would answer 409). With `notStored`,
 * the valid documents are answered as failed with its status, the invalid ones still with 400.
 */
export function bulkAnswer(
  actions: readonly BulkAction[],
  outcomes: readonly ItemOutcome[],
  tookMs: number,
  notStored?: BulkNotStored,
): BulkResponse {
  let errors = false;
  const items = actions.map((action, i): BulkResponse["items"][number] => {
    const outcome = outcomes[i] ?? { ok: false, error: "not processed" };
    if (outcome.ok && !notStored) {
      return {
        [action.op]: {
          _index: action.index,
          _id: action.id ?? outcome.id,
          _version: 1,
          result: "created" as const,
          _shards: { total: 1, successful: 1, failed: 0 },
          _seq_no: 0,
          _primary_term: 1,
          status: 201,
        },
      };
    }
    errors = true;
    let error: { type: string; reason: string };
    let status = 400;
    if (outcome.ok && notStored) {
      status = notStored.status;
      error = { type: notStored.type, reason: notStored.reason };
    } else {
      const unsupported = action.op === "update" || action.op === "delete";
      const type = unsupported ? "illegal_argument_exception" : "document_parsing_exception";
      error = { type, reason: outcome.ok ? "" : outcome.error };
    }
    return { [action.op]: { _index: action.index, _id: action.id ?? null, status, error } };
  });
  return { took: Math.max(0, Math.round(tookMs)), errors, items };
}

/** Elasticsearch's shape for a request refused as a whole (clients read `error.type` and `error.reason`). */
export function esErrorBody(status: number, type: string, reason: string) {
  return { error: { root_cause: [{ type, reason }], type, reason }, status };
}
