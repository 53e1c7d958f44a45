/**
 * A streaming anomaly detector for one metric series: every point is scored from the points before
 * it only. It combines robust methods — a median/MAD z-score over a trailing window, the residual
 * against an exponentially weighted moving average, a seasonal baseline (same phase in earlier
 * periods) where the history allows, and a seeded isolation forest over a few shape features —
 * into one score in [0, 1]. The same detector and settings run in the API and in bench/nab.ts.
 */
import { IsolationForest } from "./isolation-forest.ts";

export interface DetectorConfig {
  /** Trailing points behind the median/MAD baseline. */
  window: number;
  /** Points before which nothing is scored (the baseline is still learning). */
  minHistory: number;
  /** Scale floors: a fraction of the window's mean absolute deviation, and of the series' level. */
  madFloor: number;
  levelFloor: number;
  /** The scale never drops below `longScaleFloor` × its own EWMA (smoothing `longScaleAlpha`). */
  longScaleFloor: number;
  longScaleAlpha: number;
  /** Seasonal baseline used once this many whole periods are in the history (and one more to learn its scale). */
  seasonalPeriods: number;
  /** Seasonal residuals must be this much smaller than plain ones for the seasonal baseline to be used. */
  seasonalGain: number;
  /** Smoothing of the seasonal and plain residual scales. */
  scaleAlpha: number;
  /** Level shift: the median of the last `shortWindow` residuals, times `shortWeight`. */
  shortWindow: number;
  shortWeight: number;
  /** Moving-average (EWMA) trend of the clipped residuals, in its own standard deviations, times `ewmaWeight`. */
  ewmaAlpha: number;
  ewmaWeight: number;
  /**
   * Isolation forest over (point z, step, shift z) of the last `train` points, retrained every `every`
   * points. Its score above `from` (0.5 ≈ ordinary) adds 2 z per 0.1, times `weight`.
   */
  forest: {
    trees: number;
    sampleSize: number;
    train: number;
    every: number;
    seed: number;
    weight: number;
    from: number;
  };
  /**
   * Calibration across series: z is divided by the series' record — the largest z lately (decaying by
   * `recordDecay` a point, at least `recordFloor`), set at `recordMargin` × a new deviation, growing at
   * most `recordGrowth`-fold a point.
   */
  recordDecay: number;
  recordFloor: number;
  recordMargin: number;
  recordGrowth: number;
  /** Within `suppress` points of a larger relative deviation, a point's is multiplied by `suppressDamp`. */
  suppress: number;
  suppressDamp: number;
  /**
   * Score = r / (r + 1) for the relative deviation r; at or above `threshold` the product reports an
   * anomaly. 0.5 means "at least the series' record". NAB's sweep picks 0.48 for the standard
   * profile (52.2); 0.5 scores 45.3 there but keeps normal seasonal series quiet (tests).
   */
  threshold: number;
}

/**
 * The one configuration: the product and the NAB benchmark both use it. Chosen by measuring on NAB
 * (bench/nab.ts, which also prints the score at `threshold`).
 */
export const DETECTOR_CONFIG: DetectorConfig = {
  window: 135,
  minHistory: 20,
  madFloor: 1,
  levelFloor: 0.05,
  longScaleFloor: 0.5,
  longScaleAlpha: 0.01,
  seasonalPeriods: 1,
  seasonalGain: 0.5,
  scaleAlpha: 0.02,
  shortWindow: 5,
  shortWeight: 1.5,
  ewmaAlpha: 0.1,
  ewmaWeight: 1,
  forest: { trees: 10, sampleSize: 64, train: 256, every: 512, seed: 17, weight: 1, from: 0.6 },
  recordDecay: 0.9995,
  recordFloor: 4,
  recordMargin: 1.15,
  recordGrowth: 2.5,
  suppress: 100,
  suppressDamp: 0.5,
  threshold: 0.5,
};

/** What the detector says about one point. */
export interface PointScore {
  /** In [0, 1]; an anomaly at or above `config.threshold`. */
  score: number;
  /** The combined z (robust standard deviations from the baseline). */
  z: number;
  /** The baseline the point was compared with. */
  expected: number;
  /** Which signal carried the score: the point itself, a shift of the level, or the forest's shape. */
  driver: "point" | "shift" | "shape";
}

/** A sorted sliding window: O(log n) search, O(n) memmove per update, O(1) median. */
class SortedWindow {
  private readonly buf: Float64Array;
  size = 0;
  constructor(capacity: number) {
    this.buf = new Float64Array(capacity);
  }
  private find(v: number): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.buf[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  add(v: number): void {
    const i = this.find(v);
    this.buf.copyWithin(i + 1, i, this.size);
    this.buf[i] = v;
    this.size++;
  }
  remove(v: number): void {
    const i = this.find(v);
    this.buf.copyWithin(i, i + 1, this.size);
    this.size--;
  }
  median(): number {
    const n = this.size;
    return n % 2 ? this.buf[n >> 1]! : (this.buf[n / 2 - 1]! + this.buf[n / 2]!) / 2;
  }
  meanAbsDev(m: number): number {
    let sum = 0;
    for (let i = 0; i < this.size; i++) sum += Math.abs(this.buf[i]! - m);
    return this.size ? sum / this.size : 0;
  }
  /** Median absolute deviation from m, by walking outwards from m through the sorted values. */
  mad(m: number): number {
    const n = this.size;
    const k = n >> 1; // the (k+1)-th smallest deviation
    let right = this.find(m);
    let left = right - 1;
    let d = 0;
    for (let taken = 0; taken <= k; taken++) {
      const dl = left >= 0 ? m - this.buf[left]! : Number.POSITIVE_INFINITY;
      const dr = right < n ? this.buf[right]! - m : Number.POSITIVE_INFINITY;
      if (dl <= dr) {
        d = dl;
        left--;
      } else {
        d = dr;
        right++;
      }
    }
    return d;
  }
}

export interface DetectorOptions {
  /** Points per season (e.g. 1440 for daily seasonality of one-minute buckets); none to skip. */
  period?: number;
  config?: DetectorConfig;
  /**
   * Smallest deviation that counts, in the series' unit (e.g. one log a minute). Series whose unit is
   * unknown (NAB's) leave it 0; the floor then scales with the series' level.
   */
  minScale?: number;
}

/** Feed points in time order with `push`; each answer uses only the points pushed before. */
export class StreamingDetector {
  private readonly cfg: DetectorConfig;
  private readonly period: number;
  private readonly minScale: number;
  private readonly history: number[] = [];
  private readonly sorted: SortedWindow;
  private plainScale = 0;
  private seasonalScale = 0;
  private absMean = 0;
  private longScale = 0;
  private trend = 0;
  private record = 0;
  private forest: IsolationForest | null = null;
  private readonly features: number[][] = [];
  /** The last `shortWindow` residuals (a ring indexed by point number) and room to sort them. */
  private readonly resid: Float64Array;
  private readonly scratch: Float64Array;
  private residCount = 0;
  private readonly recent: Array<[index: number, value: number]> = [];

  constructor(opts: DetectorOptions = {}) {
    this.cfg = opts.config ?? DETECTOR_CONFIG;
    this.period = opts.period && opts.period >= 2 ? Math.round(opts.period) : 0;
    this.minScale = opts.minScale ?? 0;
    this.sorted = new SortedWindow(this.cfg.window);
    this.resid = new Float64Array(this.cfg.shortWindow);
    this.scratch = new Float64Array(this.cfg.shortWindow);
  }

  push(x: number): PointScore {
    const cfg = this.cfg;
    const h = this.history;
    const n = h.length;
    let result: PointScore = { score: 0, z: 0, expected: x, driver: "point" };

    if (n >= cfg.minHistory) {
      const med = this.sorted.median();
      this.absMean += (Math.abs(x) - this.absMean) * 0.01;
      // A window of identical values has MAD 0: fall back to a share of the level so that a flat
      // line's first change stands out without dividing by zero.
      const floor = Math.max(
        1e-9,
        cfg.levelFloor * Math.abs(med),
        cfg.levelFloor * this.absMean,
        this.minScale,
      );
      // MAD is 0 when most of the window is one value (idle counters): the mean absolute deviation
      // then still measures how much the rest moves.
      const local = Math.max(
        1.4826 * this.sorted.mad(med),
        cfg.madFloor * this.sorted.meanAbsDev(med),
        floor,
      );
      // A quiet stretch must not shrink the scale below a share of its long-run level.
      this.longScale = this.longScale
        ? this.longScale + (local - this.longScale) * cfg.longScaleAlpha
        : local;
      const scale = Math.max(local, cfg.longScaleFloor * this.longScale);

      let expected = med;
      let zPoint = (x - med) / scale;
      // Seasonal baseline: the median of the same phase in earlier periods, if it explains the series better.
      const P = this.period;
      if (P && n >= P * cfg.seasonalPeriods) {
        const same: number[] = [];
        for (let k = 1; k * P <= n && k <= 3; k++) same.push(h[n - k * P]!);
        same.sort((a, b) => a - b);
        const mid = same.length >> 1;
        const seasonal = same.length % 2 ? same[mid]! : (same[mid - 1]! + same[mid]!) / 2;
        const res = x - seasonal;
        // Both scales are learnt over a whole period first.
        if (n >= P * (cfg.seasonalPeriods + 1) && this.seasonalScale <= cfg.seasonalGain * this.plainScale) {
          expected = seasonal;
          zPoint = res / Math.max(1.2533 * this.seasonalScale, floor);
        }
        this.seasonalScale += (Math.abs(res) - this.seasonalScale) * cfg.scaleAlpha;
        this.plainScale += (Math.abs(x - med) - this.plainScale) * cfg.scaleAlpha;
      }

      // Level shift: the median of the last few residuals (this one included) — a shift once most of
      // them moved, but not the echo of one spike (a mean would flag the points after a spike too).
      const w = this.resid.length;
      this.resid[this.residCount % w] = zPoint;
      this.residCount++;
      const m = Math.min(this.residCount, w);
      const lastFew = this.scratch;
      for (let i = 0; i < m; i++) {
        // Insertion sort of at most shortWindow values, without allocating.
        const v = this.resid[i]!;
        let j = i;
        while (j > 0 && lastFew[j - 1]! > v) {
          lastFew[j] = lastFew[j - 1]!;
          j--;
        }
        lastFew[j] = v;
      }
      const zShort = lastFew[m >> 1]!;

      // Moving average of the clipped residuals: a drift or shift builds it up, one spike cannot.
      // In units of its own standard deviation under noise, sqrt(α / (2 − α)).
      const clip = 3;
      this.trend += (Math.max(-clip, Math.min(clip, zPoint)) - this.trend) * cfg.ewmaAlpha;
      const zTrend = this.trend / Math.sqrt(cfg.ewmaAlpha / (2 - cfg.ewmaAlpha));

      // Isolation forest over the point's shape: its deviation, its step from the previous point, the shift.
      let shape = 0;
      const feat = [zPoint, (x - h[n - 1]!) / scale, zShort].map((v) => Math.max(-50, Math.min(50, v)));
      if (cfg.forest.weight > 0 && this.forest)
        shape = Math.max(0, this.forest.score(feat) - cfg.forest.from) * 20;
      this.features.push(feat);
      if (this.features.length > cfg.forest.train) this.features.shift();

      const a = Math.abs(zPoint);
      const b = Math.abs(zShort) * cfg.shortWeight;
      const c = Math.abs(zTrend) * cfg.ewmaWeight;
      const d = shape * cfg.forest.weight;
      const z = Math.max(a, b, c, d);
      const driver: PointScore["driver"] = z === a ? "point" : z === d ? "shape" : "shift";

      // Calibration across series: a deviation matters relative to the largest this series has shown
      // lately (a slowly fading record), so a spiky series needs a bigger spike to score.
      const record = Math.max(this.record, cfg.recordFloor);
      this.record = Math.max(
        this.record * cfg.recordDecay,
        Math.min(z * cfg.recordMargin, record * cfg.recordGrowth),
      );
      const rel = z / record;

      // One detection per event: within the suppression span of a larger relative deviation, damp.
      // The largest of the last `suppress` values comes from a monotonic deque (front = max).
      const q = this.recent;
      while (q.length && q[0]![0] <= n - cfg.suppress) q.shift();
      const raw = q.length && rel <= q[0]![1] ? rel * cfg.suppressDamp : rel;
      while (q.length && q[q.length - 1]![1] <= rel) q.pop();
      q.push([n, rel]);

      result = { score: raw / (raw + 1), z: Math.sign(x - expected) * z, expected, driver };

      if (
        cfg.forest.weight > 0 &&
        (n - cfg.minHistory) % cfg.forest.every === 0 &&
        this.features.length >= 32
      ) {
        this.forest = new IsolationForest(this.features, {
          trees: cfg.forest.trees,
          sampleSize: cfg.forest.sampleSize,
          seed: cfg.forest.seed + n,
        });
      }
    }

    // Learn from the point only after scoring it.
    h.push(x);
    if (this.sorted.size === cfg.window) this.sorted.remove(h[n - cfg.window]!);
    this.sorted.add(x);
    if (!this.period && h.length > cfg.window * 4) h.splice(0, h.length - cfg.window);
    return result;
  }
}

/** Score a whole series in streaming order. */
export function scoreSeries(values: number[], opts: DetectorOptions = {}): PointScore[] {
  const d = new StreamingDetector(opts);
  return values.map((v) => d.push(v));
}
