/**
 * A streaming anomaly detector for one metric series: every point is scored from the points before
 * it only. It combines robust methods — a median/MAD z-score over a trailing window, the residual
 * against an exponentially weighted moving average, a seasonal baseline (same phase in earlier
 * periods) where the history allows, and a seeded isolation forest over a few shape features —
 * into one score in [0, 1]. The same detector and settings run in the API and in bench/nab.ts.
 */
import { IsolationForest } from "./isolation-forest.ts";

export interface DetectorConfig {
  /** Score sign(x)·log(1 + |x|) rather than x. */
  log: boolean;
  /** Trailing points behind the median/MAD baseline. */
  window: number;
  /** Points before which nothing is scored (the baseline is still learning). */
  minHistory: number;
  /** Points averaged for the level-shift signal. */
  shortWindow: number;
  /** EWMA smoothing of the level, and of the residuals' scale. */
  ewmaAlpha: number;
  ewmaScaleAlpha: number;
  ewmaTrend: boolean;
  /** Seasonal baseline used once this many whole periods are in the history. */
  seasonalPeriods: number;
  /** Seasonal residuals must be this much smaller than plain ones for the seasonal baseline to be used. */
  seasonalGain: number;
  /** Isolation forest: trees, sample size, training window, retrain interval, seed, and weight in the score. */
  /** `from`: forest score (0.5 ≈ ordinary) where the shape signal starts; it adds 2 z per 0.1 above. */
  forest: {
    trees: number;
    sampleSize: number;
    train: number;
    every: number;
    seed: number;
    weight: number;
    from: number;
  };
  /** Weight of the level-shift (short mean) and EWMA signals relative to the point z-score. */
  shortWeight: number;
  ewmaWeight: number;
  /** After a raw score r, later points must exceed r × this within `suppress` points to score again. */
  suppress: number;
  suppressFactor: number;
  suppressDamp: number;
  /** The scale never drops below `longScaleFloor` × its EWMA (smoothing `longScaleAlpha`). */
  longScaleFloor: number;
  longScaleAlpha: number;
  /** Scale floor as a fraction of the window's mean absolute deviation. */
  madFloor: number;
  /** Record calibration: weight (0 = plain z, 1 = z relative to the record), per-point decay, floor. */
  recordWeight: number;
  recordDecay: number;
  recordFloor: number;
  /** The record grows at most this factor per point (one wild point does not mute the rest). */
  recordGrowth: number;
  /** A deviation sets the record at this multiple of itself: the next must beat it clearly. */
  recordMargin: number;
  zCap: number;
  /** A second, shorter median/MAD window (0 = none); the point z is the smaller of the two. */
  window2: number;
  /**
   * Familiarity: a point's relative score is divided by 1 + seen / k, where `seen` counts the last
   * `window` points within `tol` × scale of it (k = 0 turns this off).
   */
  novel: { window: number; tol: number; k: number };
  /** The scale is at least this fraction of the series' level (median, and mean of |x|). */
  levelFloor: number;
  /** z at which the score is 0.5: score = z / (z + zHalf). */
  zHalf: number;
  /** Score at or above which a point is an anomaly (chosen on NAB, standard profile). */
  threshold: number;
}

/** The one configuration: the product and the NAB benchmark both use it. */
export const DETECTOR_CONFIG: DetectorConfig = {
  log: false,
  window: 120,
  minHistory: 20,
  shortWindow: 5,
  ewmaAlpha: 0.1,
  ewmaScaleAlpha: 0.02,
  ewmaTrend: false,
  seasonalPeriods: 1,
  seasonalGain: 0.5,
  forest: { trees: 10, sampleSize: 64, train: 256, every: 512, seed: 17, weight: 1, from: 0.6 },
  shortWeight: 1.5,
  ewmaWeight: 0,
  suppress: 100,
  suppressFactor: 1.0,
  suppressDamp: 0.5,
  madFloor: 1,
  longScaleFloor: 0,
  longScaleAlpha: 0.01,
  recordWeight: 1,
  recordDecay: 0.9995,
  recordFloor: 4,
  recordGrowth: 3,
  recordMargin: 1.2,
  zCap: 1e9,
  window2: 0,
  novel: { window: 1000, tol: 0.5, k: 0 },
  levelFloor: 0.03,
  zHalf: 1,
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
  /** How many values lie in [lo, hi]. */
  countBetween(lo: number, hi: number): number {
    return this.find(hi + Number.EPSILON * Math.abs(hi) + Number.MIN_VALUE) - this.find(lo);
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
  private readonly longSorted: SortedWindow;
  private readonly sorted2: SortedWindow;
  private ewma = Number.NaN;
  private ewmaScale = 0;
  private trend = 0;
  private plainScale = 0;
  private seasonalScale = 0;
  private absMean = 0;
  private forest: IsolationForest | null = null;
  private readonly features: number[][] = [];
  private readonly recent: Array<[index: number, value: number]> = [];
  private record = 0;
  private longScale = 0;
  private readonly resid: number[] = [];

  constructor(opts: DetectorOptions = {}) {
    this.cfg = opts.config ?? DETECTOR_CONFIG;
    this.period = opts.period && opts.period >= 2 ? Math.round(opts.period) : 0;
    this.minScale = opts.minScale ?? 0;
    this.sorted = new SortedWindow(this.cfg.window);
    this.longSorted = new SortedWindow(this.cfg.novel.window);
    this.sorted2 = new SortedWindow(Math.max(1, this.cfg.window2));
  }

  push(value: number): PointScore {
    const cfg = this.cfg;
    // Counts and sizes vary multiplicatively: a symmetric log makes "twice the usual" the same step at any level.
    const x = cfg.log ? Math.sign(value) * Math.log1p(Math.abs(value)) : value;
    const h = this.history;
    const n = h.length;
    let result: PointScore = { score: 0, z: 0, expected: value, driver: "point" };

    if (n >= cfg.minHistory) {
      const med = this.sorted.median();
      this.absMean += (Math.abs(x) - this.absMean) * 0.01;
      // A window of identical values has MAD 0: fall back to a sliver of the level so that a flat
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
      // A quiet stretch must not shrink the scale below a share of its long-run (EWMA) level.
      this.longScale = this.longScale
        ? this.longScale + (local - this.longScale) * cfg.longScaleAlpha
        : local;
      const scale = Math.max(local, cfg.longScaleFloor * this.longScale);

      let expected = med;
      let seasonalScaleNow = 0;
      let zPoint = (x - med) / scale;
      // Seasonal baseline: the median of the same phase in earlier periods, if it explains the series better.
      const P = this.period;
      if (P && n >= P * cfg.seasonalPeriods) {
        const same: number[] = [];
        for (let k = 1; k * P <= n && k <= 3; k++) same.push(h[n - k * P]!);
        same.sort((a, b) => a - b);
        const seasonal = same[same.length >> 1]!;
        const res = x - seasonal;
        // Both scales are learnt over a whole period first.
        const useSeasonal =
          n >= P * (cfg.seasonalPeriods + 1) && this.seasonalScale <= cfg.seasonalGain * this.plainScale;
        if (useSeasonal) {
          expected = seasonal;
          seasonalScaleNow = Math.max(1.2533 * this.seasonalScale, floor);
          zPoint = res / seasonalScaleNow;
        }
        this.seasonalScale += (Math.abs(res) - this.seasonalScale) * cfg.ewmaScaleAlpha;
        this.plainScale += (Math.abs(x - med) - this.plainScale) * cfg.ewmaScaleAlpha;
      }

      // Level shift: the mean of the last few points (this one included) against the baseline.
      // Residuals are against the seasonal baseline when it is in use.
      this.resid.push(zPoint);
      if (this.resid.length > cfg.shortWindow) this.resid.shift();
      // The median of the last few residuals: a shift once most of them moved, but not the echo of
      // one spike (a mean would flag the points after a spike too).
      const last = [...this.resid].sort((p, q) => p - q);
      const zShort = last[last.length >> 1]!;

      // EWMA residual against its own running scale (plain baseline only: it has no seasons).
      let zEwma: number;
      if (cfg.ewmaTrend) {
        // Moving average of the (clipped) residuals: a drift or shift builds it up, one spike cannot.
        // Scaled by the EWMA's own standard deviation under noise, sqrt(α / (2 − α)).
        const clip = 3;
        this.trend += (Math.max(-clip, Math.min(clip, zPoint)) - this.trend) * cfg.ewmaAlpha;
        zEwma = this.trend / Math.sqrt(cfg.ewmaAlpha / (2 - cfg.ewmaAlpha));
      } else {
        const r = x - this.ewma;
        zEwma =
          seasonalScaleNow > 0 ? 0 : this.ewmaScale > 0 ? r / Math.max(1.2533 * this.ewmaScale, floor) : 0;
      }

      let shape = 0;
      const feat = [zPoint, (x - h[n - 1]!) / scale, zShort];
      if (cfg.forest.weight > 0 && this.forest)
        shape = Math.max(0, this.forest.score(feat) - cfg.forest.from) * 20;
      this.features.push(feat.map((v) => Math.max(-50, Math.min(50, v))));
      if (this.features.length > cfg.forest.train) this.features.shift();

      let a = Math.abs(zPoint);
      if (
        cfg.window2 > 0 &&
        seasonalScaleNow === 0 &&
        this.sorted2.size >= Math.min(cfg.window2, cfg.minHistory)
      ) {
        // A second, shorter baseline: a point is as unusual as the less surprised of the two finds it.
        const m2 = this.sorted2.median();
        const s2 = Math.max(1.4826 * this.sorted2.mad(m2), cfg.madFloor * this.sorted2.meanAbsDev(m2), floor);
        a = Math.min(a, Math.abs((x - m2) / s2));
      }
      const b = Math.abs(zShort) * cfg.shortWeight;
      const c = Math.abs(zEwma) * cfg.ewmaWeight;
      const d = shape * cfg.forest.weight;
      // A point counts as far as both baselines agree it is off (the EWMA one adapts faster to a new level).
      // Beyond zCap every deviation is simply huge; capping keeps one wild point from setting a record
      // nothing can break for days.
      const z = Math.min(
        cfg.zCap,
        cfg.ewmaTrend ? Math.max(a, b, c, d) : Math.max(c > 0 ? Math.min(a, c) : a, b, d),
      );
      const driver: PointScore["driver"] = z === d && d > 0 ? "shape" : z === b && b > a ? "shift" : "point";

      // Calibration across series: a deviation matters relative to the largest this series has
      // shown lately (a slowly fading record), so a spiky series needs a bigger spike to score.
      const record = Math.max(this.record, cfg.recordFloor);
      this.record = Math.max(
        this.record * cfg.recordDecay,
        Math.min(z * cfg.recordMargin, record * cfg.recordGrowth),
      );
      let rel = cfg.recordWeight > 0 ? (z / record) ** cfg.recordWeight * z ** (1 - cfg.recordWeight) : z;

      // Familiar values: a deviation to a level the long history has often visited (a periodic job's
      // 100% CPU) is less of a surprise than one to a level never seen.
      if (cfg.novel.k > 0 && this.longSorted.size >= cfg.minHistory) {
        const tol = cfg.novel.tol * scale;
        const seen = this.longSorted.countBetween(x - tol, x + tol);
        rel /= 1 + seen / cfg.novel.k;
      }

      // One detection per event: inside the suppression span, only a larger deviation scores again.
      let raw = rel;
      // The largest of the last `suppress` values: a monotonic deque (front = max), O(1) amortised.
      const q = this.recent;
      while (q.length && q[0]![0] <= n - cfg.suppress) q.shift();
      const recentMax = q.length ? q[0]![1] : 0;
      if (raw <= recentMax * cfg.suppressFactor) raw = raw * cfg.suppressDamp;
      while (q.length && q[q.length - 1]![1] <= rel) q.pop();
      q.push([n, rel]);

      result = {
        score: raw / (raw + cfg.zHalf),
        z: Math.sign(x - expected) * z,
        expected: cfg.log ? Math.sign(expected) * Math.expm1(Math.abs(expected)) : expected,
        driver,
      };

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
    if (this.sorted.size === this.cfg.window) this.sorted.remove(h[n - this.cfg.window]!);
    this.sorted.add(x);
    if (cfg.window2 > 0) {
      if (this.sorted2.size === cfg.window2) this.sorted2.remove(h[n - cfg.window2]!);
      this.sorted2.add(x);
    }
    if (cfg.novel.k > 0) {
      if (this.longSorted.size === cfg.novel.window) this.longSorted.remove(h[n - cfg.novel.window]!);
      this.longSorted.add(x);
    }
    if (Number.isNaN(this.ewma)) this.ewma = x;
    else {
      this.ewmaScale += (Math.abs(x - this.ewma) - this.ewmaScale) * cfg.ewmaScaleAlpha;
      this.ewma += (x - this.ewma) * cfg.ewmaAlpha;
    }
    const keep = Math.max(this.cfg.window, this.cfg.novel.window);
    if (!this.period && h.length > keep * 4) h.splice(0, h.length - keep);
    return result;
  }
}

/** Score a whole series in streaming order. */
export function scoreSeries(values: number[], opts: DetectorOptions = {}): PointScore[] {
  const d = new StreamingDetector(opts);
  return values.map((v) => d.push(v));
}
