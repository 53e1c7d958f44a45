/**
 * Where backups go and what a backup file is: shared by the embedded (PGlite) and Postgres backups.
 */
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** The two kinds of backup file, told apart by their first bytes. */
export type BackupKind = "embedded" | "postgres";

/** Default folder for backups, relative to the current directory: never inside LOGFLOW_DATA_DIR. */
export const DEFAULT_BACKUP_DIR = "backups";

const EXTENSION: Record<BackupKind, string> = { embedded: "tar.gz", postgres: "dump" };

/**
 * The file a backup is written to. `out` may name a file, or a directory (existing, or written with a
 * trailing slash) to put a timestamped file in; without it, `backups/` in the current directory.
 */
export function backupFile(out: string | undefined, kind: BackupKind, now = new Date()): string {
  const name = `logflow-${kind}-${now.toISOString().replace(/[:.]/g, "-")}.${EXTENSION[kind]}`;
  const target = out ?? `${DEFAULT_BACKUP_DIR}/`;
  const asDir = target.endsWith("/") || (existsSync(target) && statSync(target).isDirectory());
  const file = resolve(asDir ? join(target, name) : target);
  mkdirSync(dirname(file), { recursive: true });
  return file;
}

/**
 * What kind of backup `file` is: a gzip stream is an embedded (PGlite) archive, `PGDMP` starts
 * pg_dump's custom format. Null for anything else.
 */
export function backupKind(file: string): BackupKind | null {
  const fd = openSync(file, "r");
  try {
    const head = Buffer.alloc(5);
    const n = readSync(fd, head, 0, 5, 0);
    if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) return "embedded";
    if (n === 5 && head.toString("latin1") === "PGDMP") return "postgres";
    return null;
  } finally {
    closeSync(fd);
  }
}

/** The local time stamp used in names of things set aside (`pglite.before-restore-<stamp>`). */
export function stamp(now = new Date()): string {
  return now.toISOString().replace(/[:.]/g, "-");
}
