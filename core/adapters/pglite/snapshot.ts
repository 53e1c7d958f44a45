import { constants, copyFileSync, mkdirSync, readdirSync, rmSync, statfsSync, statSync } from "node:fs";
import { join } from "node:path";

/** What a snapshot of the database files holds, and how long queries waited for it. */
export interface SnapshotInfo {
  files: number;
  bytes: number;
  /** How long the database was held still (no query ran) while its files were copied. */
  lockedMs: number;
}

/** Where a running process puts snapshots: inside the data dir, on the same file system as the data. */
export const SNAPSHOTS_DIR = "snapshots";

/** Total size in bytes and number of the regular files under `dir`. */
export function treeSize(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const sub = treeSize(path);
      files += sub.files;
      bytes += sub.bytes;
    } else if (entry.isFile()) {
      files++;
      bytes += statSync(path).size;
    }
  }
  return { files, bytes };
}

/**
 * Copy the tree `src` to `dst` (which must not exist) file by file. The kernel copies (reflinks where
 * the file system can), so memory stays flat whatever the size of the database.
 */
export function copyTree(src: string, dst: string): void {
  mkdirSync(dst, { recursive: true });
  for (const entry of readdirSync(src, { withFileTypes: true })) {
    const from = join(src, entry.name);
    const to = join(dst, entry.name);
    if (entry.isDirectory()) copyTree(from, to);
    else if (entry.isFile()) copyFileSync(from, to, constants.COPYFILE_FICLONE);
  }
}

/** Throws when the file system holding `dir` has less than `bytes` (plus 5 %) free. */
export function ensureFreeSpace(dir: string, bytes: number): void {
  const fs = statfsSync(dir);
  const free = Number(fs.bavail) * Number(fs.bsize);
  const needed = Math.ceil(bytes * 1.05);
  if (free < needed) {
    throw new Error(
      `a snapshot of the database needs ${mib(needed)} free next to it in ${dir}, which has ${mib(free)}`,
    );
  }
}

function mib(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(0)} MiB`;
}

/**
 * Copy the database files at `src` into `dst` while `exclusive` holds the database still (PGlite's
 * runExclusive: no query runs in between). The copy is what a crash at that instant would leave: every
 * committed transaction is in the write-ahead log (synchronous_commit is on), and opening the copy
 * replays it. No CHECKPOINT first: PGlite is one session, and a statement of ours could land inside a
 * transaction the application has open.
 */
export async function snapshotFiles(
  src: string,
  dst: string,
  exclusive: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<SnapshotInfo> {
  const estimate = treeSize(src);
  ensureFreeSpace(join(dst, ".."), estimate.bytes);
  try {
    const lockedMs = await exclusive(async () => {
      const started = performance.now();
      copyTree(src, dst);
      return performance.now() - started;
    });
    return { ...treeSize(dst), lockedMs: Math.round(lockedMs) };
  } catch (err) {
    rmSync(dst, { recursive: true, force: true });
    throw err;
  }
}
