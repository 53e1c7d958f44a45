import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { integrationTimeouts } from "../tests/helpers/timeouts.ts";

integrationTimeouts();

const root = resolve(import.meta.dir, "..");
const dir = mkdtempSync(join(tmpdir(), "bench-patterns-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("bench:patterns writes every line's pattern and scores only the systems with ground truth", async () => {
  const data = join(dir, "data");
  mkdirSync(join(data, "Unlabelled"), { recursive: true });
  writeFileSync(
    join(data, "Unlabelled", "Unlabelled_2k.log"),
    "job 1 done in 12 ms\njob 2 done in 40 ms\ndisk full on volume 3\n",
  );
  mkdirSync(join(data, "Labelled"));
  writeFileSync(join(data, "Labelled", "Labelled_2k.log"), "ignored: the structured CSV is read instead\n");
  writeFileSync(
    join(data, "Labelled", "Labelled_2k.log_structured.csv"),
    "LineId,Content,EventId,EventTemplate\n" +
      '10,"open 10.0.0.1:80, ok",E1,x\n11,"open 10.0.0.2:81, ok",E1,x\n12,closed by peer,E2,x\n',
  );
  const out = join(dir, "out");
  const json = join(dir, "result.json");
  const proc = Bun.spawn(
    ["bun", "bench/patterns.ts", "--data", data, "--out", out, "--json", json, "--repeat", "1"],
    { cwd: root, stdout: "pipe", stderr: "pipe" },
  );
  const [stdout, stderr, code] = [
    await new Response(proc.stdout).text(),
    await new Response(proc.stderr).text(),
    await proc.exited,
  ];
  expect(stderr).toBe("");
  expect(code).toBe(0);
  expect(stdout).toContain("1 of 2 systems labelled: average GA 1.000");

  const rows = (system: string) =>
    readFileSync(join(out, `${system}.csv`), "utf8")
      .trim()
      .split("\n");
  const unlabelled = rows("Unlabelled");
  expect(unlabelled[0]).toBe("LineId,PatternId");
  expect(unlabelled.slice(1).map((r) => r.split(",")[0])).toEqual(["1", "2", "3"]);
  const [, job1, job2, disk] = unlabelled.map((r) => r.split(",")[1]);
  expect(job1).toBe(job2);
  expect(disk).not.toBe(job1);
  expect(
    rows("Labelled")
      .slice(1)
      .map((r) => r.split(",")[0]),
  ).toEqual(["10", "11", "12"]);

  const result = JSON.parse(readFileSync(json, "utf8"));
  expect(result.grouping_accuracy).toBe(1);
  expect(result.grouping_accuracy_min).toBe(1);
  expect(result.lines_per_s).toBeGreaterThan(0);
  expect(
    result.systems.map((s: { system: string; grouping_accuracy: number | null }) => [
      s.system,
      s.grouping_accuracy,
    ]),
  ).toEqual([
    ["Labelled", 1],
    ["Unlabelled", null],
  ]);
});
