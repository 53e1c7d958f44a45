import type { PatternRecord } from "../patterns/schema.ts";

/**
 * What a miner adds to a template's row: the row's fields but the merge, with `count` the events
 * assigned since the last flush and the times theirs.
 */
export type PatternUpdate = Omit<PatternRecord, "mergedInto">;

/** A miner's saved state (MinerSnapshot as JSON), per service and process. */
export interface SavedMiner {
  service: string;
  node: string;
  snapshot: unknown;
  /** Epoch ms; a reader asks for the ones changed since the last it saw. */
  updatedAt: number;
}

/** Where templates and the miners' state are kept (the `patterns` and `pattern_miners` tables). */
export interface PatternRepo {
  /**
   * Adds counts, widens first/last seen and takes the template's newer text; a new id gets a row.
   * Safe under concurrent writers (a row's counts add up).
   */
  record(updates: PatternUpdate[]): Promise<void>;
  /** Marks ids as merged into another (`[from, to]`); readers follow the marks. */
  merge(aliases: [from: string, to: string][]): Promise<void>;
  /** The rows of these ids (in no order; unknown ids are absent). */
  get(ids: string[]): Promise<PatternRecord[]>;
  /** Templates first seen in [from, to] (not merged away), oldest first, at most `limit`. */
  firstSeenIn(from: number, to: number, services: string[], limit: number): Promise<PatternRecord[]>;
  /** Of these ids, the ones the alert rule has not fired for yet. */
  unalerted(ruleId: number, ids: string[]): Promise<string[]>;
  /** Remembers that the rule fired for these ids (a new-pattern rule fires once per pattern). */
  markAlerted(ruleId: number, ids: string[]): Promise<void>;
  saveMiner(service: string, node: string, snapshot: unknown): Promise<void>;
  /**
   * Forgets templates last seen before the cutoff (retention: their events are gone), what alert rules
   * fired for them, and miner states no process has saved since. Returns how many templates went.
   */
  deleteOlderThan(cutoff: number): Promise<number>;
  /** Saved miners: of one service, or (service undefined) every one changed after `since` by another node. */
  miners(q: { service: string } | { since: number; exceptNode: string }): Promise<SavedMiner[]>;
}
