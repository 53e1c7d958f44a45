/**
 * The detector on the Numenta Anomaly Benchmark: streams every series through DETECTOR_CONFIG (the
 * product's settings), writes NAB-format result files, and scores them with our own implementation of
 * NAB's scoring (core/anomaly/nab-score.ts).
 *
 *   bun run bench:nab -- --data ../shared/data/nab --out bench/results/nab [--json FILE] [--config JSON]
 *
 * `--config` overrides settings for experiments only; the reported figures are for the default.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DETECTOR_CONFIG, type DetectorConfig, scoreSeries } from "../core/anomaly/detector.ts";
import {
  type CostMatrix,
  type SweepPoint,
  scoreAtThreshold,
  scoreCorpus,
  sweepPoints,
  type WindowIdx,
} from "../core/anomaly/nab-score.ts";
import { flags, table, writeJson } from "./lib.ts";

const args = flags({
  data: "../shared/data/nab",
  out: "bench/results/nab",
  config: undefined,
  quiet: false,
});

const dataDir = resolve(args.data);
const config: DetectorConfig = args.config
  ? { ...DETECTOR_CONFIG, ...(JSON.parse(args.config) as Partial<DetectorConfig>) }
  : DETECTOR_CONFIG;

/** NAB timestamps are "YYYY-MM-DD HH:MM:SS[.ffffff]", UTC by convention. */
function parseTs(s: string): number {
  return Date.parse(`${s.trim().replace(" ", "T").slice(0, 23)}Z`);
}

/** Points per day when the sampling interval divides a day; otherwise no seasonality. */
function dailyPeriod(ts: number[]): number | undefined {
  const diffs = ts.slice(1, 51).map((t, i) => t - ts[i]!);
  diffs.sort((a, b) => a - b);
  const step = diffs[diffs.length >> 1];
  if (!step || step <= 0 || step > 3_600_000) return undefined;
  const p = 86_400_000 / step;
  return Number.isInteger(p) ? p : undefined;
}

const profiles = JSON.parse(readFileSync(join(dataDir, "config/profiles.json"), "utf8")) as Record<
  string,
  { CostMatrix: CostMatrix }
>;
const windowsByFile = JSON.parse(
  readFileSync(join(dataDir, "labels/combined_windows.json"), "utf8"),
) as Record<string, Array<[string, string]>>;

const points: SweepPoint[] = [];
const perfectPoints: SweepPoint[] = [];
const nullPoints: SweepPoint[] = [];
let windowCount = 0;
const files: Array<{ file: string; rows: number; windows: number; ms: number }> = [];
const started = performance.now();
for (const category of readdirSync(join(dataDir, "data"), { withFileTypes: true })) {
  if (!category.isDirectory()) continue;
  for (const name of readdirSync(join(dataDir, "data", category.name)).sort()) {
    if (!name.endsWith(".csv")) continue;
    const rel = `${category.name}/${name}`;
    const lines = readFileSync(join(dataDir, "data", rel), "utf8")
      .trim()
      .split("\n")
      .slice(1);
    const stamps = lines.map((l) => l.slice(0, l.indexOf(",")));
    const values = lines.map((l) => Number(l.slice(l.indexOf(",") + 1)));
    const ts = stamps.map(parseTs);
    const t0 = performance.now();
    const scored = scoreSeries(values, { period: dailyPeriod(ts), config });
    const ms = performance.now() - t0;
    // Scored as written: the result files and the figures printed agree to the last digit.
    const scores = scored.map((p) => Number(p.score.toFixed(6)));

    mkdirSync(join(args.out, category.name), { recursive: true });
    const csv = ["timestamp,value,anomaly_score"];
    for (let i = 0; i < lines.length; i++) csv.push(`${stamps[i]},${values[i]},${scores[i]!.toFixed(6)}`);
    writeFileSync(join(args.out, rel), `${csv.join("\n")}\n`);

    // Window limits are timestamps of rows: the first row at or after the start, the last at or before the end.
    const windows: WindowIdx[] = [];
    for (const [a, b] of windowsByFile[rel] ?? []) {
      const from = parseTs(a);
      const to = parseTs(b);
      const s = ts.findIndex((t) => t >= from);
      let e = -1;
      for (let i = ts.length - 1; i >= 0; i--)
        if (ts[i]! <= to) {
          e = i;
          break;
        }
      if (s >= 0 && e >= s) windows.push([s, e]);
    }
    points.push(...sweepPoints(scores, windows, windowCount));
    // The scorer's own check: a detector flagging nothing must score 0, one flagging each window's first row 100.
    const perfect = new Array<number>(values.length).fill(0);
    for (const [first] of windows) perfect[first] = 1;
    perfectPoints.push(...sweepPoints(perfect, windows, windowCount));
    nullPoints.push(...sweepPoints(new Array<number>(values.length).fill(0), windows, windowCount));
    windowCount += windows.length;
    files.push({ file: rel, rows: values.length, windows: windows.length, ms: Math.round(ms * 10) / 10 });
  }
}
const detectMs = performance.now() - started;

const results: Record<
  string,
  { score: number; threshold: number; tp: number; fp: number; atProduct: number }
> = {};
for (const [name, profile] of Object.entries(profiles)) {
  const r = scoreCorpus(points, windowCount, profile.CostMatrix);
  const atProduct = scoreAtThreshold(points, windowCount, profile.CostMatrix, config.threshold);
  results[name] = { score: r.score, threshold: r.threshold, tp: r.tp, fp: r.fp, atProduct };
}

console.log(
  `NAB: ${files.length} files, ${points.length.toLocaleString("en-US")} scored rows, ${windowCount} windows; detection ${Math.round(detectMs)} ms`,
);
table(
  Object.entries(results).map(([profile, r]) => ({
    profile,
    score: Math.round(r.score * 10) / 10,
    threshold: r.threshold.toFixed(4),
    "flagged rows in windows": r.tp,
    "flagged rows outside": r.fp,
    [`score at product threshold ${config.threshold}`]: Math.round(r.atProduct * 10) / 10,
  })),
);

const sanity = Object.entries(profiles).map(([name, profile]) => {
  const nul = scoreCorpus(nullPoints, windowCount, profile.CostMatrix).score;
  const per = scoreCorpus(perfectPoints, windowCount, profile.CostMatrix).score;
  return `${name} null ${nul.toFixed(1)} / perfect ${per.toFixed(1)}`;
});
console.log(`scorer check: ${sanity.join("; ")}`);

writeJson(args.json, {
  standard: results.standard?.score,
  reward_low_FP_rate: results.reward_low_FP_rate?.score,
  reward_low_FN_rate: results.reward_low_FN_rate?.score,
  thresholds: Object.fromEntries(Object.entries(results).map(([k, r]) => [k, r.threshold])),
  at_product_threshold: Object.fromEntries(Object.entries(results).map(([k, r]) => [k, r.atProduct])),
  files,
  config,
});
