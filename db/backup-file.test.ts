import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { integrationTimeouts } from "../tests/helpers/timeouts.ts";
import { backupFile, backupKind } from "./backup-file.ts";

integrationTimeouts();

const tmp = mkdtempSync(join(tmpdir(), "logflow-backup-file-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const now = new Date("2026-05-04T03:02:01.123Z");

describe("backupFile", () => {
  test("--out naming a file is that file; its folder is made", () => {
    expect(backupFile(join(tmp, "a", "b.tar.gz"), "embedded", now)).toBe(join(tmp, "a", "b.tar.gz"));
  });

  test("--out naming an existing folder, or ending in /, gets a timestamped file of the kind", () => {
    mkdirSync(join(tmp, "existing"));
    expect(backupFile(join(tmp, "existing"), "postgres", now)).toBe(
      join(tmp, "existing", "logflow-postgres-2026-05-04T03-02-01-123Z.dump"),
    );
    expect(backupFile(`${join(tmp, "new")}/`, "embedded", now)).toBe(
      join(tmp, "new", "logflow-embedded-2026-05-04T03-02-01-123Z.tar.gz"),
    );
  });

  test("without --out the file goes to backups/ in the current folder, never the data dir", () => {
    const cwd = process.cwd();
    process.chdir(tmp);
    try {
      expect(backupFile(undefined, "embedded", now)).toBe(
        join(process.cwd(), "backups", "logflow-embedded-2026-05-04T03-02-01-123Z.tar.gz"),
      );
    } finally {
      process.chdir(cwd);
    }
  });
});

describe("backupKind", () => {
  test("tells a gzip archive from a pg_dump file from anything else", () => {
    const gz = join(tmp, "x.tar.gz");
    writeFileSync(gz, Bun.gzipSync(new TextEncoder().encode("hello")));
    const dump = join(tmp, "x.dump");
    writeFileSync(dump, "PGDMP\x01\x0e\x00");
    const other = join(tmp, "x.txt");
    writeFileSync(other, "hi");
    expect([backupKind(gz), backupKind(dump), backupKind(other)]).toEqual(["embedded", "postgres", null]);
  });
});
