/**
 * The pattern miner on LogHub-style samples: each `<System>/<System>_2k.log` under `--data` is fed, line
 * by line in file order, to a fresh miner (one service per system), and each line's pattern id is written
 * to `OUT/<System>.csv` (`LineId,PatternId`). The id written is the one a reader of stored events sees:
 * the id the line was given, resolved through any merge that happened later in the run. Where the
 * structured CSV carries the ground truth (`EventId`), grouping accuracy is printed per system and on
 * average, both resolved and as first handed out; elsewhere only the output and the speed.
 *
 *   bun run bench:patterns -- --data ../shared/data/loghub --out bench/results/patterns [--json FILE]
 *
 * Speed is the miner alone (masking included, file reading not) per second of this process's CPU time,
 * so that other work on a shared machine does not count; best of `--repeat` runs on fresh miners.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { MINER_CONFIG, PatternMiner } from "../core/patterns/miner.ts";
import { flags, table, writeJson } from "./lib.ts";
import { groupingAccuracy, listSystems, loadSystem } from "./loghub.ts";

const args = flags({ data: "../shared/data/loghub", out: "bench/results/patterns", repeat: 5 });

const dataDir = resolve(args.data);
const outDir = resolve(args.out);
const repeat = Math.max(1, args.repeat || 1);
const systems = listSystems(dataDir);
if (!systems.length) throw new Error(`no <System>/<System>_2k.log under ${dataDir}`);
mkdirSync(outDir, { recursive: true });

interface SystemResult {
  system: string;
  lines: number;
  templates: number;
  true_templates: number | null;
  grouping_accuracy: number | null;
  grouping_accuracy_as_assigned: number | null;
  lines_per_s: number;
}

const results: SystemResult[] = [];
let totalLines = 0;
let totalSeconds = 0;
for (const name of systems) {
  const sys = loadSystem(dataDir, name);
  let assigned: string[] = [];
  let resolved: string[] = [];
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < repeat; run++) {
    const miner = new PatternMiner(name);
    const ids = new Array<string>(sys.contents.length);
    const cpu = process.cpuUsage();
    for (let i = 0; i < sys.contents.length; i++) ids[i] = miner.add(sys.contents[i]!).id;
    const used = process.cpuUsage(cpu);
    best = Math.min(best, (used.user + used.system) / 1e6);
    assigned = ids;
    resolved = ids.map((id) => miner.resolve(id));
  }
  writeFileSync(
    join(outDir, `${name}.csv`),
    `LineId,PatternId\n${sys.lineIds.map((l, i) => `${csvField(l)},${resolved[i]}\n`).join("")}`,
  );
  totalLines += sys.contents.length;
  totalSeconds += best;
  results.push({
    system: name,
    lines: sys.contents.length,
    templates: new Set(resolved).size,
    true_templates: sys.eventIds ? new Set(sys.eventIds).size : null,
    grouping_accuracy: sys.eventIds ? groupingAccuracy(sys.eventIds, resolved) : null,
    grouping_accuracy_as_assigned: sys.eventIds ? groupingAccuracy(sys.eventIds, assigned) : null,
    lines_per_s: best > 0 ? sys.contents.length / best : 0,
  });
}

function csvField(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const labelled = results.filter((r) => r.grouping_accuracy !== null);
const average = mean(labelled.map((r) => r.grouping_accuracy!));
const averageAssigned = mean(labelled.map((r) => r.grouping_accuracy_as_assigned!));
const minimum = labelled.length ? Math.min(...labelled.map((r) => r.grouping_accuracy!)) : null;
const linesPerS = totalSeconds > 0 ? totalLines / totalSeconds : 0;
const fixed = (v: number | null) => (v === null ? "–" : v.toFixed(3));

table(
  results.map((r) => ({
    system: r.system,
    lines: r.lines,
    GA: fixed(r.grouping_accuracy),
    "GA as assigned": fixed(r.grouping_accuracy_as_assigned),
    "templates found / true": `${r.templates} / ${r.true_templates ?? "–"}`,
    "lines/s": Math.round(r.lines_per_s),
  })),
);
console.log(
  `\n${labelled.length} of ${results.length} systems labelled` +
    (average === null
      ? ""
      : `: average GA ${fixed(average)} (as assigned ${fixed(averageAssigned)}), min ${fixed(minimum)}`) +
    `\n${Math.round(linesPerS).toLocaleString("en-US")} lines per CPU second over all systems (miner alone, best of ${repeat})` +
    `\nwrote ${results.length} files to ${outDir}`,
);

writeJson(args.json, {
  grouping_accuracy: average,
  grouping_accuracy_min: minimum,
  grouping_accuracy_as_assigned: averageAssigned,
  lines_per_s: Math.round(linesPerS),
  config: MINER_CONFIG,
  systems: results,
});
