/**
 * What retention may delete, decided once at start-up. Lowering RETENTION_DAYS deletes stored days in
 * one stroke, so it is not done on a configuration change alone: the days it would drop are counted and
 * announced, and deleted only once confirmed (`--yes` or RETENTION_CONFIRM=true). The retention last
 * applied is kept in the database, so that every start compares against what was really in force.
 */
import type { LogStore } from "../ports/log-store.ts";
import type { SystemConfigRepo } from "../ports/system-config.ts";

export const DAY_MS = 86_400_000;
/** The system_config key holding the retention in force: `{ "days": N }`. */
export const RETENTION_KEY = "retention_days";

/** Stored events a lower retention would delete that the retention in force keeps. */
export interface DoomedEvents {
  events: number;
  /** Per UTC day (YYYY-MM-DD), oldest first; only days that hold events. */
  days: { day: string; events: number }[];
}

export type RetentionPlan =
  /** Delete what is older than `days` each pass. `doomed`: what this start deletes beyond the previous. */
  | { kind: "apply"; days: number; previous: number | null; doomed?: DoomedEvents }
  /**
   * Lowered without confirmation: keep applying `days` (the retention in force; null when none was ever
   * recorded, then nothing is deleted) and announce what `wanted` would delete.
   */
  | { kind: "hold"; days: number | null; wanted: number; doomed: DoomedEvents };

export interface PlanOptions {
  store: LogStore;
  settings: SystemConfigRepo;
  /** RETENTION_DAYS. */
  days: number;
  /** `--yes` or RETENTION_CONFIRM=true: delete what lowering the retention drops. */
  confirmed: boolean;
  now?: number;
}

/** The events in [from, to) (from = the beginning of time when null), counted per UTC day. */
async function doomedEvents(store: LogStore, from: number | null, to: number): Promise<DoomedEvents> {
  const filter = { ...(from !== null ? { from } : {}), to: to - 1 };
  const events = await store.count(filter);
  if (events === 0) return { events, days: [] };
  const oldest = (await store.stats()).oldest ?? to - 1;
  const buckets = await store.histogram({ from: Math.max(from ?? oldest, oldest), to: to - 1 }, DAY_MS);
  return {
    events,
    days: buckets
      .filter((b) => b.count > 0)
      .map((b) => ({ day: new Date(b.start).toISOString().slice(0, 10), events: b.count })),
  };
}

export async function planRetention(opts: PlanOptions): Promise<RetentionPlan> {
  const now = opts.now ?? Date.now();
  const previous = (await opts.settings.get<{ days?: unknown }>(RETENTION_KEY))?.days;
  const recorded = typeof previous === "number" ? previous : null;
  const record = () => opts.settings.set(RETENTION_KEY, { days: opts.days });
  if (recorded !== null && opts.days >= recorded) {
    if (opts.days !== recorded) await record();
    return { kind: "apply", days: opts.days, previous: recorded };
  }
  // Lower than the retention in force, or none recorded yet: what would go that would otherwise stay?
  const floor = recorded !== null ? now - recorded * DAY_MS : null;
  const doomed = await doomedEvents(opts.store, floor, now - opts.days * DAY_MS);
  if (doomed.events === 0 || opts.confirmed) {
    await record();
    return { kind: "apply", days: opts.days, previous: recorded, ...(doomed.events ? { doomed } : {}) };
  }
  return { kind: "hold", days: recorded, wanted: opts.days, doomed };
}

/** The doomed days in one line: `2026-05-01 (1,204), 2026-05-02 (98)`, at most `max` of them named. */
export function describeDays(doomed: DoomedEvents, max = 10): string {
  const n = (x: number) => x.toLocaleString("en-US");
  const named = doomed.days.slice(0, max).map((d) => `${d.day} (${n(d.events)})`);
  const rest = doomed.days.length - named.length;
  return named.join(", ") + (rest > 0 ? ` and ${rest} more day${rest === 1 ? "" : "s"}` : "");
}
