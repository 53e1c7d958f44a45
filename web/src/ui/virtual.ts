/**
 * The arithmetic of a virtualised list: where each row starts (from measured heights, an estimate for
 * rows not yet drawn) and which rows a scrolled viewport shows. Kept apart from the DOM so it can be
 * tested on its own.
 */

/** Start offsets of every row, plus the total height as the last entry (length n + 1). */
export function rowOffsets(keys: readonly string[], heights: ReadonlyMap<string, number>, estimate: number) {
  const out = new Float64Array(keys.length + 1);
  let y = 0;
  for (let i = 0; i < keys.length; i++) {
    out[i] = y;
    y += heights.get(keys[i]!) ?? estimate;
  }
  out[keys.length] = y;
  return out;
}

/** The index of the row holding offset `y` (the last row whose start is ≤ y); 0 for an empty list. */
export function rowAt(offsets: Float64Array, y: number): number {
  const n = offsets.length - 1;
  if (n <= 0) return 0;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid]! <= y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Rows [start, end) to draw for a viewport of `height` px scrolled to `top` px (both relative to the
 * first row), with `overscan` rows more on each side so a fast scroll does not show blank space.
 */
export function visibleRange(
  offsets: Float64Array,
  top: number,
  height: number,
  overscan: number,
): { start: number; end: number } {
  const n = offsets.length - 1;
  if (n <= 0) return { start: 0, end: 0 };
  const first = rowAt(offsets, Math.max(0, top));
  const last = rowAt(offsets, Math.max(0, top + height));
  return { start: Math.max(0, first - overscan), end: Math.min(n, last + 1 + overscan) };
}
