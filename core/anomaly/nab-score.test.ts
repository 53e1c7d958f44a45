import { describe, expect, test } from "bun:test";
import {
  type CostMatrix,
  normalise,
  probationaryLength,
  scaledSigmoid,
  scoreAtThreshold,
  scoreCorpus,
  sweepPoints,
  sweepThresholds,
} from "./nab-score.ts";

const standard: CostMatrix = { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 };
const lowFn: CostMatrix = { tpWeight: 1, fpWeight: 0.11, fnWeight: 2 };

/** 100 rows (probation 15), one window over rows 50..59, a detection (score 1) at each index given. */
function file(detections: number[]): number[] {
  const scores = new Array(100).fill(0);
  for (const i of detections) scores[i] = 1;
  return scores;
}
const windows: Array<[number, number]> = [[50, 59]];

describe("NAB scoring", () => {
  test("probationary period is 15% of the rows, at most 750", () => {
    expect(probationaryLength(100)).toBe(15);
    expect(probationaryLength(10_000)).toBe(750);
  });

  test("the scaled sigmoid: 0.98661 at a window's left edge, 0 at its right edge, -1 far past it", () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.98661, 5);
    expect(scaledSigmoid(3)).toBe(-1);
  });

  test("a detection at a window's first row scores 100 on every profile", () => {
    const points = sweepPoints(file([50]), windows);
    expect(scoreCorpus(points, 1, standard).score).toBeCloseTo(100, 9);
    expect(scoreCorpus(points, 1, lowFn).score).toBeCloseTo(100, 9);
  });

  test("a detection at a window's last row earns sigmoid(-0.1)/sigmoid(-1)", () => {
    const tp = (2 / (1 + Math.exp(-0.5)) - 1) / (2 / (1 + Math.exp(-5)) - 1); // 0.24824
    const r = scoreCorpus(sweepPoints(file([59]), windows), 1, standard);
    expect(r.raw).toBeCloseTo(tp, 9);
    expect(r.score).toBeCloseTo((100 * (tp + 1)) / 2, 9);
  });

  test("only the earliest detection in a window counts; later ones in it cost nothing", () => {
    const r = scoreCorpus(sweepPoints(file([50, 55, 59]), windows), 1, standard);
    expect(r.raw).toBeCloseTo(1, 9);
    expect(r.tp).toBe(3);
  });

  test("a false positive far from any window costs fpWeight; the sweep then prefers flagging nothing", () => {
    const points = sweepPoints(file([30]), windows);
    const sweep = sweepThresholds(points, 1, standard);
    expect(sweep[0]!.raw).toBe(-1); // threshold above every score: the window is missed
    const atOne = sweep.find((t) => t.threshold === 1)!;
    expect(atOne.raw).toBeCloseTo(-1 - 0.11, 9);
    expect(scoreCorpus(points, 1, standard).score).toBe(0);
  });

  test("a false positive just after a window costs by its distance past the window", () => {
    const points = sweepPoints(file([50, 60]), windows);
    const at = sweepThresholds(points, 1, standard).find((t) => t.threshold === 1)!;
    const fp = 2 / (1 + Math.exp(5 / 9)) - 1; // position 1/9 past a 10-row window
    expect(at.raw).toBeCloseTo(1 + 0.11 * fp, 9);
  });

  test("detections in the probationary period are ignored", () => {
    const r = sweepThresholds(sweepPoints(file([10]), windows), 1, standard);
    expect(r.find((t) => t.threshold === 1)?.raw).toBeUndefined(); // no scorable row has score 1
    expect(r[0]!.raw).toBe(-1);
  });

  test("an empty file contributes nothing, and a corpus without windows scores 0", () => {
    expect(sweepPoints([], [])).toEqual([]);
    expect(scoreCorpus([], 0, standard).score).toBe(0);
    expect(normalise(-2, 2, standard)).toBe(0);
  });

  test("window ids are corpus-wide: two files, one detected window of two → 50 (standard)", () => {
    const a = sweepPoints(file([50]), windows, 0);
    const b = sweepPoints(file([]), windows, 1);
    expect(scoreCorpus([...a, ...b], 2, standard).score).toBeCloseTo(50, 9);
  });

  test("the score at a fixed threshold counts every point at or above it", () => {
    const scores = file([50]);
    scores[30] = 0.6; // a weaker false positive before the window
    const points = sweepPoints(scores, windows);
    expect(scoreAtThreshold(points, 1, standard, 1)).toBeCloseTo(100, 9);
    expect(scoreAtThreshold(points, 1, standard, 0.5)).toBeCloseTo((100 * (1 - 0.11 + 1)) / 2, 9);
  });
});
