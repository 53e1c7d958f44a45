import { describe, expect, test } from "bun:test";
import { groupingAccuracy, listSystems, loadSystem } from "../../bench/loghub.ts";
import { loghubDir } from "../../tests/helpers/loghub.ts";
import { integrationTimeouts } from "../../tests/helpers/timeouts.ts";
import { PatternMiner } from "./miner.ts";

integrationTimeouts();

const dir = loghubDir();

/** Grouping accuracy per labelled system, with every id resolved to the template it ended up in. */
function accuracy(mine: (name: string, lines: string[]) => (id: string) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of listSystems(dir!)) {
    const sys = loadSystem(dir!, name);
    if (!sys.eventIds) continue;
    const resolveId = mine(name, sys.contents);
    out[name] = groupingAccuracy(
      sys.eventIds,
      sys.contents.map((_, i) => resolveId(String(i))),
    );
  }
  return out;
}

function expectTargets(ga: Record<string, number>): void {
  const values = Object.values(ga);
  expect(values.length).toBeGreaterThan(0);
  // On failure the offending systems and their figures are in the diff.
  expect(Object.entries(ga).filter(([, v]) => v < 0.7)).toEqual([]);
  expect(values.reduce((a, b) => a + b, 0) / values.length).toBeGreaterThanOrEqual(0.9);
}

describe.skipIf(!dir)("PatternMiner on LogHub (one configuration for every system)", () => {
  test("grouping accuracy averages at least 0.90 and is at least 0.7 on every system", () => {
    const ga = accuracy((name, lines) => {
      const miner = new PatternMiner(name);
      const ids = lines.map((l) => miner.add(l).id);
      return (i) => miner.resolve(ids[Number(i)]!);
    });
    expectTargets(ga);
  });

  test("two miners fed alternate lines and reconciled reach the same accuracy", () => {
    const ga = accuracy((name, lines) => {
      const a = new PatternMiner(name);
      const b = new PatternMiner(name);
      const ids = lines.map((l, i) => (i % 2 ? b : a).add(l).id);
      const fromA = a.snapshot();
      a.absorb(b.snapshot());
      b.absorb(fromA);
      return (i) => {
        const id = a.resolve(ids[Number(i)]!);
        expect(b.resolve(ids[Number(i)]!)).toBe(id);
        return id;
      };
    });
    expectTargets(ga);
  });
});
