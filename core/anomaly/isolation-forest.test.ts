import { describe, expect, test } from "bun:test";
import { averagePathLength, IsolationForest, seededRandom } from "./isolation-forest.ts";

function cluster(n: number, seed: number): number[][] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => [r() * 2 - 1, r() * 2 - 1]);
}

describe("IsolationForest", () => {
  test("an outlier scores well above points of the cluster it was trained on", () => {
    const forest = new IsolationForest(cluster(256, 7), { seed: 42 });
    const outlier = forest.score([8, 8]);
    const inlier = forest.score([0, 0]);
    expect(outlier).toBeGreaterThan(0.65);
    expect(inlier).toBeLessThan(0.5);
  });

  test("the same data and seed give the same scores; another seed gives other trees", () => {
    const data = cluster(200, 3);
    const a = new IsolationForest(data, { seed: 9 });
    const b = new IsolationForest(data, { seed: 9 });
    const c = new IsolationForest(data, { seed: 10 });
    const probes = [
      [0.5, 0.5],
      [3, -2],
      [0, 0.9],
    ];
    expect(probes.map((p) => a.score(p))).toEqual(probes.map((p) => b.score(p)));
    expect(probes.map((p) => a.score(p))).not.toEqual(probes.map((p) => c.score(p)));
  });

  test("identical training points isolate nothing and score everything alike", () => {
    const forest = new IsolationForest(
      Array.from({ length: 50 }, () => [1, 1]),
      { seed: 1 },
    );
    expect(forest.score([1, 1])).toBe(forest.score([5, 5]));
  });

  test("average path length matches the formula's known values", () => {
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
    expect(averagePathLength(256)).toBeCloseTo(10.24, 1);
  });
});
