import { describe, expect, test } from "bun:test";
import { AppError } from "../errors.ts";
import {
  MAX_JSON_DEPTH,
  nestsDeeperThan,
  readJsonItem,
  readJsonItems,
  readNdjsonItems,
} from "./json-items.ts";

const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`;
const arrays = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;

async function invalid(text: string): Promise<AppError> {
  const err = await readJsonItems(text).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe("INVALID_JSON");
  return err as AppError;
}

describe("readJsonItems", () => {
  test("an element nested 50,000 deep is one refused item; the others are read", async () => {
    const text = `[{"service":"a","message":"one"},{"service":"a","message":"deep","x":${nested(50_000)}},{"service":"a","message":"two"}]`;
    const { items, single } = await readJsonItems(text);
    expect(single).toBe(false);
    expect(items).toHaveLength(3);
    expect(items[0]).toEqual({ ok: true, value: { service: "a", message: "one" } });
    expect(items[1]).toEqual({ ok: false, error: expect.stringContaining(`deeper than ${MAX_JSON_DEPTH}`) });
    expect(items[2]).toEqual({ ok: true, value: { service: "a", message: "two" } });
  });

  test("a body of a million nested arrays is one refused item, not a parse of it", async () => {
    const { items } = await readJsonItems(`[${arrays(1_000_000)}]`);
    expect(items).toEqual([{ ok: false, error: expect.stringContaining("nested deeper") }]);
    const whole = await readJsonItems(nested(50_000));
    expect(whole).toEqual({
      items: [{ ok: false, error: expect.stringContaining("nested deeper") }],
      single: true,
    });
  });

  test("nesting up to the limit is read", async () => {
    const text = `[${nested(MAX_JSON_DEPTH - 1)}]`; // the array is one more level
    expect((await readJsonItems(text)).items).toEqual([
      { ok: true, value: JSON.parse(nested(MAX_JSON_DEPTH - 1)) },
    ]);
    expect((await readJsonItems(`[${nested(MAX_JSON_DEPTH + 1)}]`)).items[0]!.ok).toBe(false);
  });

  test("reads what JSON.parse reads: strings with brackets, quotes and escapes, scalars, spaces", async () => {
    const values = [
      { message: 'a "quoted" [bracket] {brace}, comma \\ back\\slash \\"', n: -1.5e3 },
      "a string ]},",
      "ends in a backslash \\",
      42,
      null,
      true,
      [],
      {},
      [1, [2, [3]], { "k]": "v}" }],
    ];
    for (const text of [
      JSON.stringify(values),
      JSON.stringify(values, null, 2),
      ` \n${JSON.stringify(values)}\n `,
    ]) {
      expect(await readJsonItems(text)).toEqual({
        items: values.map((value) => ({ ok: true, value })),
        single: false,
      });
    }
    expect(await readJsonItems(" [ ] ")).toEqual({ items: [], single: false });
    expect(await readJsonItems('{"a":"[x"}')).toEqual({
      items: [{ ok: true, value: { a: "[x" } }],
      single: true,
    });
  });

  test("a body that is not JSON as a whole is 400 INVALID_JSON saying where", async () => {
    for (const text of [
      "[",
      '[{"a":1}',
      '[{"a":1},]',
      "[,1]",
      '[{"a":1}] x',
      '[{"a":tru}]',
      '["open',
      "[1 2]",
      "{",
      "",
    ]) {
      await invalid(text);
    }
    expect((await invalid('[{"a":1},\n {"b":}]')).message).toContain("line 2");
  });
});

describe("readNdjsonItems", () => {
  test("a line nested too deep or not JSON is refused with its line number; the others are read", async () => {
    const text = `{"m":1}\n\n${nested(50_000)}\n{"m":2\n{"m":3}\n`;
    expect(await readNdjsonItems(text)).toEqual([
      { ok: true, value: { m: 1 } },
      { ok: false, error: expect.stringMatching(/^line 3: nested deeper than/) },
      { ok: false, error: expect.stringMatching(/^line 4: not valid JSON \(line 1, column 7/) },
      { ok: true, value: { m: 3 } },
    ]);
  });
});

describe("nestsDeeperThan", () => {
  test("counts brackets outside strings only", () => {
    expect(nestsDeeperThan(nested(3), 3)).toBe(false);
    expect(nestsDeeperThan(nested(4), 3)).toBe(true);
    expect(nestsDeeperThan(JSON.stringify({ a: "[[[[[[[[" }), 2)).toBe(false);
    expect(nestsDeeperThan(JSON.stringify({ a: 'x\\"[[[[' }), 2)).toBe(false);
    expect(nestsDeeperThan(arrays(1_000_000))).toBe(true);
  });

  test("readJsonItem names what it read", () => {
    expect(readJsonItem(nested(100), "document")).toEqual({
      ok: false,
      error: expect.stringMatching(/^document: nested deeper than 64 levels/),
    });
  });
});
