import { afterAll, describe, expect, test } from "bun:test";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { copyTree, refreshTree, snapshotFiles } from "./snapshot.ts";

const tmp = mkdtempSync(join(tmpdir(), "logflow-snapshot-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Every file under `dir` with its content, by relative path. */
function contents(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, "utf8");
    }
  };
  walk(dir);
  return out;
}

const HOUR_AGO = new Date(Date.now() - 3_600_000);

function file(path: string, text: string, mtime?: Date) {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  if (mtime) utimesSync(path, mtime, mtime);
}

describe("a copy refreshed after writes equals the source", () => {
  test("changed, new, deleted and same-tick rewritten files are all caught", async () => {
    const src = join(tmp, "src");
    const dst = join(tmp, "dst");
    file(join(src, "base/1/old"), "untouched", HOUR_AGO);
    file(join(src, "base/1/grows"), "v1", HOUR_AGO);
    file(join(src, "base/2/gone"), "x", HOUR_AGO);
    // Written just now (an mtime of whole milliseconds, so that setting it back below restores it exactly).
    file(join(src, "pg_wal/000001"), "AAAA", new Date());
    const seen = await copyTree(src, dst);

    // After the first pass: a write (mtime moves on), a new file, a deleted directory, and a rewrite of
    // a just-written file that keeps its size and mtime, as a write in the same clock tick would.
    file(join(src, "base/1/grows"), "v2 longer");
    file(join(src, "base/3/new"), "fresh");
    rmSync(join(src, "base/2"), { recursive: true });
    const wal = statSync(join(src, "pg_wal/000001"));
    file(join(src, "pg_wal/000001"), "BBBB", wal.mtime);

    const recopied = refreshTree(src, dst, seen);
    expect(contents(dst)).toEqual(contents(src));
    // The untouched old file is the only one not copied again.
    expect(recopied.files).toBe(3);
  });
});

describe("snapshotFiles", () => {
  test("holds the database only for the second pass, and removes a failed copy", async () => {
    const src = join(tmp, "db");
    file(join(src, "PG_VERSION"), "18", HOUR_AGO);
    file(join(src, "base/1/big"), "y".repeat(100_000), HOUR_AGO);
    let held = 0;
    const info = await snapshotFiles(src, join(tmp, "snap"), async (fn) => {
      held++;
      file(join(src, "base/1/late"), "written just before the hold");
      return fn();
    });
    expect(held).toBe(1);
    expect(contents(join(tmp, "snap"))).toEqual(contents(src));
    expect(info.files).toBe(3);
    expect(info.recopiedFiles).toBe(1);

    const failed = join(tmp, "failed");
    await expect(
      snapshotFiles(src, failed, async () => {
        throw new Error("database closed");
      }),
    ).rejects.toThrow("database closed");
    expect(() => statSync(failed)).toThrow();
  });
});
