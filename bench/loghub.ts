/**
 * LogHub's `<System>/<System>_2k.log` samples (and their `_structured.csv` ground truth, where present),
 * read for the pattern benchmark and the miner's accuracy test, and grouping accuracy as the LogHub
 * papers define it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** One system's lines in file order; `eventIds` only when the structured CSV carries the ground truth. */
export interface LoghubSystem {
  name: string;
  lineIds: string[];
  contents: string[];
  eventIds?: string[];
}

/** The systems under `dir`: each sub-folder holding `<Name>/<Name>_2k.log`, sorted by name. */
export function listSystems(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => {
      const folder = join(dir, name);
      return statSync(folder).isDirectory() && existsSync(join(folder, `${name}_2k.log`));
    })
    .sort();
}

/**
 * A system's lines: the structured CSV's `LineId` and `Content` (and `EventId` when it has one) where
 * the CSV exists, else the raw `.log` lines numbered from 1.
 */
export function loadSystem(dir: string, name: string): LoghubSystem {
  const csvPath = join(dir, name, `${name}_2k.log_structured.csv`);
  if (!existsSync(csvPath)) {
    const raw = readFileSync(join(dir, name, `${name}_2k.log`), "utf8").split(/\r?\n/);
    if (raw[raw.length - 1] === "") raw.pop();
    return { name, lineIds: raw.map((_, i) => String(i + 1)), contents: raw };
  }
  const [header, ...rows] = parseCsv(readFileSync(csvPath, "utf8"));
  if (!header) throw new Error(`${csvPath} is empty`);
  const column = (col: string) => header.indexOf(col);
  const lineId = column("LineId");
  const content = column("Content");
  const eventId = column("EventId");
  if (content < 0) throw new Error(`${csvPath} has no Content column`);
  return {
    name,
    lineIds: rows.map((r, i) => (lineId >= 0 ? r[lineId]! : String(i + 1))),
    contents: rows.map((r) => r[content] ?? ""),
    ...(eventId >= 0 ? { eventIds: rows.map((r) => r[eventId] ?? "") } : {}),
  };
}

/** RFC 4180 CSV: fields in double quotes may hold commas, line breaks and doubled quotes. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '"' && field === "") {
      // A quoted field: runs to the next quote not followed by another quote.
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) throw new Error("CSV: a quoted field is not closed");
        field += text.slice(i, q);
        if (text[q + 1] === '"') {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
    } else if (c === ",") {
      row.push(field);
      field = "";
      i++;
    } else if (c === "\n" || c === "\r") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
    } else {
      field += c;
      i++;
    }
  }
  if (field !== "" || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/**
 * Grouping accuracy (Zhu et al., "Tools and Benchmarks for Automated Log Parsing", ICSE-SEIP 2019): the
 * share of lines whose predicted group holds exactly the lines of their true group.
 */
export function groupingAccuracy(truth: readonly string[], predicted: readonly string[]): number {
  if (truth.length !== predicted.length) throw new Error("truth and prediction differ in length");
  if (!truth.length) return 1;
  const trueSize = countBy(truth);
  const byPredicted = new Map<string, { truth: string | null; size: number }>();
  for (let i = 0; i < truth.length; i++) {
    const g = byPredicted.get(predicted[i]!);
    if (!g) byPredicted.set(predicted[i]!, { truth: truth[i]!, size: 1 });
    else {
      g.size++;
      if (g.truth !== truth[i]) g.truth = null;
    }
  }
  let correct = 0;
  for (const g of byPredicted.values()) {
    if (g.truth !== null && trueSize.get(g.truth) === g.size) correct += g.size;
  }
  return correct / truth.length;
}

function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}
