import { describe, expect, test } from "bun:test";
import { parseEnvFile } from "./env-file.ts";
import { scriptCommand } from "./supervisor.ts";

describe("parseEnvFile", () => {
  test("reads names and values as .env files write them", () => {
    const text = [
      "# the cluster",
      "",
      "DATABASE_URL=postgres://u:p@db:5432/logflow?sslmode=require",
      "export KAFKA_BROKERS = 10.0.0.1:9092,10.0.0.2:9092  # two brokers",
      `SECRET_KEY='a#b"c\\n'`,
      `GREETING="hello\\n\\"you\\" \\\\ there" # a comment`,
      "EMPTY=",
      "HASH=abc#def",
    ].join("\n");
    expect(parseEnvFile(text)).toEqual({
      DATABASE_URL: "postgres://u:p@db:5432/logflow?sslmode=require",
      KAFKA_BROKERS: "10.0.0.1:9092,10.0.0.2:9092",
      SECRET_KEY: 'a#b"c\\n',
      GREETING: 'hello\n"you" \\ there',
      EMPTY: "",
      HASH: "abc#def",
    });
  });

  test("a line it cannot read is an error naming the file and line", () => {
    expect(() => parseEnvFile("A=1\nnot a setting\n", ".env.cluster")).toThrow(
      '.env.cluster:2: expected NAME=value, got "not a setting"',
    );
    expect(() => parseEnvFile('A="open', ".env.cluster")).toThrow(
      '.env.cluster:1: the " quote is not closed',
    );
  });
});

describe("scriptCommand", () => {
  test("a package.json script's variables and command, run by this Bun", () => {
    expect(scriptCommand("MIMALLOC_PURGE_DELAY=-1 bun workers/bun/api.ts")).toEqual({
      cmd: [process.execPath, "workers/bun/api.ts"],
      env: { MIMALLOC_PURGE_DELAY: "-1" },
    });
    expect(() => scriptCommand("bun run build && node x.js")).toThrow("not a plain command");
  });
});
