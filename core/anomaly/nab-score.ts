/**
 * The Numenta Anomaly Benchmark's scoring, written from its published description (NAB's
 * `sweeper.py`: scaled sigmoid around labelled windows, probationary period, threshold sweep over the
 * whole corpus, normalisation against the null and the perfect detector). Pure; used by bench/nab.ts.
 */

export interface CostMatrix {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
}

/** A labelled anomaly window as first and last row index (inclusive) of its file. */
export type WindowIdx = [start: number, end: number];

/**
 * One row of one file, prepared for the sweep: `window` is the corpus-wide window id the row falls in
 * (or -1 outside any window); `position` the sigmoid's argument.
 */
export interface SweepPoint {
  score: number;
  window: number;
  /** Unweighted value: in a window, scaledSigmoid(position) / scaledSigmoid(-1); outside, scaledSigmoid(position). */
  value: number;
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** -1 at a window's left edge → 0.987, 0 at its right edge → 0, past the window → negative, ≥ 3 → -1. */
export function scaledSigmoid(relativePosition: number): number {
  return relativePosition >= 3 ? -1 : 2 * sigmoid(-5 * relativePosition) - 1;
}

const MAX_TP = scaledSigmoid(-1);

/** Rows at the start of a file where detections are not scored: 15%, at most 750 rows. */
export function probationaryLength(rows: number, fraction = 0.15): number {
  return Math.min(Math.floor(fraction * rows), fraction * 5000);
}

/**
 * The scorable rows of one file. Rows in the probationary period are dropped. A row inside a window
 * gets the sigmoid of its relative position (the window's first row scores exactly 1); a row outside
 * gets the sigmoid of its distance past the previous window (−1 when no window came before).
 * `firstWindowId` numbers this file's windows from there, so windows are unique across the corpus.
 */
export function sweepPoints(scores: number[], windows: WindowIdx[], firstWindowId = 0): SweepPoint[] {
  const probation = probationaryLength(scores.length);
  const out: SweepPoint[] = [];
  let w = 0;
  let prevEnd = -1;
  let prevWidth = 0;
  for (let i = 0; i < scores.length; i++) {
    while (w < windows.length && i > windows[w]![1]) {
      prevEnd = windows[w]![1];
      prevWidth = windows[w]![1] - windows[w]![0] + 1;
      w++;
    }
    const cur = windows[w];
    let window = -1;
    let value: number;
    if (cur && i >= cur[0]) {
      const width = cur[1] - cur[0] + 1;
      window = firstWindowId + w;
      value = scaledSigmoid(-(cur[1] - i + 1) / width) / MAX_TP;
    } else if (prevEnd < 0) {
      value = -1;
    } else {
      // A one-row window leaves no width to scale by: anything after it is a plain false positive.
      value = prevWidth > 1 ? scaledSigmoid(Math.abs(prevEnd - i) / (prevWidth - 1)) : -1;
    }
    if (i >= probation) out.push({ score: scores[i]!, window, value });
  }
  return out;
}

export interface ThresholdScore {
  threshold: number;
  /** Raw (unnormalised) score: detections at or above the threshold. */
  raw: number;
  tp: number;
  fp: number;
}

/**
 * Raw score for every distinct threshold, highest threshold first (the first entry flags nothing).
 * A point scores when `score >= threshold`; only the best (earliest) detection in a window counts;
 * a window without one costs `fnWeight`; every false positive costs its (negative) value × `fpWeight`.
 */
export function sweepThresholds(
  points: SweepPoint[],
  windowCount: number,
  cost: CostMatrix,
): ThresholdScore[] {
  const sorted = [...points].sort((a, b) => b.score - a.score);
  const best = new Float64Array(windowCount).fill(-cost.fnWeight);
  let raw = -cost.fnWeight * windowCount;
  let tp = 0;
  let fp = 0;
  const out: ThresholdScore[] = [{ threshold: Number.POSITIVE_INFINITY, raw, tp, fp }];
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i]!;
    if (p.window >= 0) {
      tp++;
      const v = p.value * cost.tpWeight;
      if (v > best[p.window]!) {
        raw += v - best[p.window]!;
        best[p.window] = v;
      }
    } else {
      fp++;
      raw += p.value * cost.fpWeight;
    }
    // Ties: a threshold admits every point with that score, so record only after the last of them.
    if (i === sorted.length - 1 || sorted[i + 1]!.score !== p.score)
      out.push({ threshold: p.score, raw, tp, fp });
  }
  return out;
}

/** 0 = the detector that flags nothing, 100 = one detection at the first row of every window. */
export function normalise(raw: number, windowCount: number, cost: CostMatrix): number {
  const nullScore = -cost.fnWeight * windowCount;
  const perfect = cost.tpWeight * windowCount;
  return perfect === nullScore ? 0 : (100 * (raw - nullScore)) / (perfect - nullScore);
}

export interface CorpusResult {
  score: number;
  threshold: number;
  raw: number;
  tp: number;
  fp: number;
}

/** The best threshold over the whole corpus for one profile, and its normalised score. */
export function scoreCorpus(points: SweepPoint[], windowCount: number, cost: CostMatrix): CorpusResult {
  let best: ThresholdScore | undefined;
  for (const t of sweepThresholds(points, windowCount, cost)) if (!best || t.raw > best.raw) best = t;
  const b = best!;
  return {
    score: normalise(b.raw, windowCount, cost),
    threshold: b.threshold,
    raw: b.raw,
    tp: b.tp,
    fp: b.fp,
  };
}

/** The normalised score when every point scoring at least `threshold` is a detection. */
export function scoreAtThreshold(
  points: SweepPoint[],
  windowCount: number,
  cost: CostMatrix,
  threshold: number,
): number {
  let at: ThresholdScore | undefined;
  for (const t of sweepThresholds(points, windowCount, cost)) if (t.threshold >= threshold) at = t;
  return normalise(at!.raw, windowCount, cost);
}
