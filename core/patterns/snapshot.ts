import { z } from "zod";
import { covers, generalise } from "./mask.ts";

/**
 * A miner's state as plain JSON: what a restart restores from, and what miners of one service in a
 * cluster exchange (through the store) to agree on ids. Read back through this schema, since it comes
 * from storage another version may have written.
 */
export const MinerSnapshotSchema = z.object({
  version: z.literal(1),
  service: z.string(),
  /** Templates created so far (the next one's creation order). */
  seq: z.number().int().nonnegative(),
  /** Least recently seen first; `protected` ones have been seen more than once (see Recency). */
  templates: z.array(
    z.object({
      id: z.string().min(1),
      tokens: z.array(z.string()),
      count: z.number().int().nonnegative(),
      seq: z.number().int().nonnegative(),
      protected: z.boolean(),
    }),
  ),
  /** Templates that differ in the word at `position` only, and the words that position has shown. */
  siblings: z.array(
    z.object({
      position: z.number().int().nonnegative(),
      words: z.array(z.string()),
      members: z.array(z.string()),
    }),
  ),
  /** `[from, to]`: ids merged into another template. */
  aliases: z.array(z.tuple([z.string(), z.string()])),
});

export type MinerSnapshot = z.infer<typeof MinerSnapshotSchema>;

/** A template on its way into a miner being rebuilt from snapshots. */
export interface Placed {
  tokens: string[];
  count: number;
  protected: boolean;
}

const MAX_ALIAS_HOPS = 64;

/** Follows `id` through merges to the id it stands for now. */
export function resolveAlias(aliases: ReadonlyMap<string, string>, id: string): string {
  let cur = id;
  for (let hops = 0; hops < MAX_ALIAS_HOPS; hops++) {
    const next = aliases.get(cur);
    if (next === undefined) return cur;
    cur = next;
  }
  return cur;
}

/**
 * The union of miners' states, as templates by id and aliases, independent of their order: a template
 * several hold is widened to cover every version; one that any has merged away is folded into the
 * template it was merged into; where they disagree on what an id was merged into, the smaller target
 * wins (the targets end up together once placed).
 */
export function unionOf(snapshots: readonly MinerSnapshot[]): {
  templates: Map<string, Placed>;
  aliases: Map<string, string>;
} {
  const aliases = new Map(
    snapshots.flatMap((s) => s.aliases).sort(([f, x], [g, y]) => cmp(f, g) || cmp(y, x)),
  );
  const templates = new Map<string, Placed>();
  for (const t of snapshots.flatMap((s) => s.templates)) {
    const seen = templates.get(t.id);
    if (!seen) templates.set(t.id, { tokens: [...t.tokens], count: t.count, protected: t.protected });
    else widen(seen, t);
  }
  for (const [id, t] of templates) {
    if (!aliases.has(id)) continue;
    const target = templates.get(resolveAlias(aliases, id));
    if (target && target !== t && target.tokens.length === t.tokens.length) {
      widen(target, t);
      templates.delete(id);
    } else aliases.delete(id);
  }
  return { templates, aliases };
}

/** One template grown apart in two miners: what either has generalised stays general. */
function widen(into: Placed, from: Placed): void {
  if (into.tokens.length !== from.tokens.length) return;
  into.tokens = into.tokens.map((tok, i) =>
    covers(tok, from.tokens[i]!) ? tok : generalise(tok, from.tokens[i]!),
  );
  // Counts are each miner's own view (the store counts events); the larger survives repeated syncs.
  into.count = Math.max(into.count, from.count);
  into.protected ||= from.protected;
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
