/**
 * Relative time ranges as Explore's URL and saved searches keep them (`15m`, `now-2h`, `7d`). Read here
 * once for the dashboard (the URL) and core (saved searches' bodies): common/ is plain code that both
 * may import, so that a range Explore shows is never refused when saved, nor a saved one unreadable.
 */

const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};
/** The longest relative range accepted (retention keeps less anyway). */
const MAX_RANGE_MS = 400 * 86_400_000;

/**
 * A typed relative range as the URL keeps it: `30m`, `now-2h`, ` 2 H ` → `30m`, `2h`, `2h`; null when it
 * is not one (units s, m, h, d, w; at least a second, at most 400 days).
 */
export function normalizeRange(text: string): string | null {
  const m = /^\s*(?:now\s*-\s*)?(\d{1,6})\s*([smhdw])\s*$/i.exec(text);
  if (!m) return null;
  const unit = m[2]!.toLowerCase();
  const ms = Number(m[1]) * UNIT_MS[unit]!;
  return ms >= 1_000 && ms <= MAX_RANGE_MS ? `${Number(m[1])}${unit}` : null;
}

/** A relative range's length in ms (null for `custom` or anything unreadable). */
export function rangeMs(range: string): number | null {
  const r = normalizeRange(range);
  return r === null ? null : Number(r.slice(0, -1)) * UNIT_MS[r.slice(-1)]!;
}
