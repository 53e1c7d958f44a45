import { z } from "zod";

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
  /** `[from, to]`: ids merged into another template, oldest first. */
  aliases: z.array(z.tuple([z.string(), z.string()])),
});

export type MinerSnapshot = z.infer<typeof MinerSnapshotSchema>;
