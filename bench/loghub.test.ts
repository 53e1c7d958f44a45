import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { integrationTimeouts } from "../tests/helpers/timeouts.ts";
import { groupingAccuracy, listSystems, loadSystem, parseCsv } from "./loghub.ts";

integrationTimeouts();

describe("parseCsv", () => {
  test("quoted fields keep their commas, doubled quotes and line breaks", () => {
    const text =
      'LineId,Content,EventId\n1,"acquire tag=""View Lock"", uid=1",E10\r\n2,"two\nlines",E2\n3,,E3';
    expect(parseCsv(text)).toEqual([
      ["LineId", "Content", "EventId"],
      ["1", 'acquire tag="View Lock", uid=1', "E10"],
      ["2", "two\nlines", "E2"],
      ["3", "", "E3"],
    ]);
  });

  test("an unclosed quote is an error, not a silently shorter file", () => {
    expect(() => parseCsv('a,"b\n1,2')).toThrow(/not closed/);
  });
});

describe("groupingAccuracy", () => {
  test("a line counts only when its group is exactly its true group", () => {
    expect(groupingAccuracy(["a", "a", "b", "b"], ["x", "x", "y", "y"])).toBe(1);
    // b is split: its two lines count as wrong; a is whole.
    expect(groupingAccuracy(["a", "a", "b", "b"], ["x", "x", "y", "z"])).toBe(0.5);
    // Everything in one group: nothing is right.
    expect(groupingAccuracy(["a", "a", "b", "b"], ["x", "x", "x", "x"])).toBe(0);
  });
});

describe("loadSystem", () => {
  const dir = mkdtempSync(join(tmpdir(), "loghub-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("reads the structured CSV where there is one, else the raw lines", () => {
    mkdirSync(join(dir, "Labelled"));
    writeFileSync(join(dir, "Labelled", "Labelled_2k.log"), "raw one\nraw two\n");
    writeFileSync(
      join(dir, "Labelled", "Labelled_2k.log_structured.csv"),
      'LineId,Level,Content,EventId,EventTemplate\n7,INFO,"a, b",E1,"a, b"\n9,WARN,c,E2,c\n',
    );
    mkdirSync(join(dir, "Raw"));
    writeFileSync(join(dir, "Raw", "Raw_2k.log"), "first line\r\nsecond line\n");
    mkdirSync(join(dir, "Empty"));

    expect(listSystems(dir)).toEqual(["Labelled", "Raw"]);
    expect(loadSystem(dir, "Labelled")).toEqual({
      name: "Labelled",
      lineIds: ["7", "9"],
      contents: ["a, b", "c"],
      eventIds: ["E1", "E2"],
    });
    expect(loadSystem(dir, "Raw")).toEqual({
      name: "Raw",
      lineIds: ["1", "2"],
      contents: ["first line", "second line"],
    });
  });
});
