export interface ChartSeries {
  label: string;
  color: string;
  /** One value per timestamp; null for no value. */
  values: (number | null)[];
  /** Filled area (stacked charts) rather than a line. */
  fill?: boolean;
  /** Drawn as markers only (anomalies), no line. */
  points?: boolean;
  /** What the legend shows for a point, when it differs from the plotted value (stacked sums). */
  display?: (number | null)[];
}

/** Counts per level stacked bottom-up (most severe at the bottom), as cumulative series for uPlot. */
export function stackLevels<L extends string>(
  order: readonly L[],
  rows: Record<L, number>[],
  colors: Record<L, string>,
): ChartSeries[] {
  const bottomUp = [...order].reverse();
  const cumulative: number[][] = [];
  bottomUp.forEach((l, k) => {
    cumulative[k] = rows.map((r, i) => (r[l] ?? 0) + (k > 0 ? cumulative[k - 1]![i]! : 0));
  });
  // Drawn largest first so each smaller area paints over the one beneath it.
  return bottomUp
    .map((l, k) => ({
      label: l,
      color: colors[l],
      fill: true,
      values: cumulative[k]!,
      display: rows.map((r) => r[l] ?? 0),
    }))
    .reverse();
}
