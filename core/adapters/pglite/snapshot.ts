import { constants, copyFileSync, mkdirSync, readdirSync, rmSync, statfsSync, statSync } from "node:fs";
import { copyFile as copyFileAsync, mkdir, readdir, stat } from "node:fs/promises";
import { join } from "node:path";

/** What a snapshot of the database files holds, and how long queries waited for it. */
export interface SnapshotInfo {
  files: number;
  bytes: number;
  /** How long the database was held still (no query ran) while the last changes were copied. */
  lockedMs: number;
  /** What was copied again while the database was held still: files changed since the first pass. */
  recopiedFiles: number;
  recopiedBytes: number;
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

/** A file as it was just before it was copied, and when that was. */
interface Copied {
  mtimeNs: bigint;
  size: bigint;
  copiedNs: bigint;
}

/**
 * A file modified this close to its copy may have been written again within the same tick of the file
 * system's clock (timestamps advance in jiffies, not nanoseconds), so an unchanged mtime proves nothing.
 */
const RACY_NS = 2_000_000_000n;

async function copyFile(from: string, to: string): Promise<Copied> {
  const copiedNs = BigInt(Date.now()) * 1_000_000n;
  const st = await stat(from, { bigint: true });
  await copyFileAsync(from, to, constants.COPYFILE_FICLONE);
  return { mtimeNs: st.mtimeNs, size: st.size, copiedNs };
}

/**
 * Copy the tree `src` to `dst` file by file, noting each file's mtime and size as they were before its
 * copy. Asynchronous, one file at a time: the thread that runs the database keeps answering queries in
 * between (a synchronous copy would hold them all for as long as it takes). The kernel copies (reflinks
 * where the file system can), so memory stays flat whatever the size of the database.
 */
export async function copyTree(
  src: string,
  dst: string,
  seen = new Map<string, Copied>(),
  rel = "",
): Promise<Map<string, Copied>> {
  await mkdir(join(dst, rel), { recursive: true });
  for (const entry of await readdir(join(src, rel), { withFileTypes: true })) {
    const path = join(rel, entry.name);
    if (entry.isDirectory()) await copyTree(src, dst, seen, path);
    else if (entry.isFile()) seen.set(path, await copyFile(join(src, path), join(dst, path)));
  }
  return seen;
}

/**
 * Bring the copy `dst` of `src` up to date: copy again each file whose mtime or size changed since
 * `seen` recorded it, or that was modified within RACY_NS of being copied, or is new; delete from `dst`
 * what `src` no longer has. With nothing writing to `src`, `dst` is then an exact copy. Synchronous:
 * it runs while the database is held still anyway, and finishes soonest this way.
 */
export function refreshTree(
  src: string,
  dst: string,
  seen: Map<string, Copied>,
): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const present = new Set<string>();
  const walk = (rel: string) => {
    mkdirSync(join(dst, rel), { recursive: true });
    for (const entry of readdirSync(join(src, rel), { withFileTypes: true })) {
      const path = join(rel, entry.name);
      if (entry.isDirectory()) {
        present.add(path);
        walk(path);
        continue;
      }
      if (!entry.isFile()) continue;
      present.add(path);
      const before = seen.get(path);
      const st = statSync(join(src, path), { bigint: true });
      const unchanged =
        before &&
        before.mtimeNs === st.mtimeNs &&
        before.size === st.size &&
        before.copiedNs - before.mtimeNs > RACY_NS;
      if (unchanged) continue;
      copyFileSync(join(src, path), join(dst, path), constants.COPYFILE_FICLONE);
      files++;
      bytes += Number(st.size);
    }
  };
  walk("");
  const prune = (rel: string) => {
    for (const entry of readdirSync(join(dst, rel), { withFileTypes: true })) {
      const path = join(rel, entry.name);
      if (!present.has(path)) rmSync(join(dst, path), { recursive: true, force: true });
      else if (entry.isDirectory()) prune(path);
    }
  };
  prune("");
  return { files, bytes };
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
 * Copy the database files at `src` into `dst` as they are at one instant between two queries. A first
 * pass copies everything while queries go on; then, while `exclusive` holds the database still
 * (PGlite's runExclusive: no query runs in between), a second pass copies again only what changed
 * meanwhile, so queries wait for that difference rather than for the whole database.
 *
 * The result is what a crash at that instant would leave: every committed transaction is in the
 * write-ahead log (synchronous_commit is on), and opening the copy replays it. No CHECKPOINT first:
 * PGlite is one session, and a statement of ours could land inside a transaction the application has
 * open.
 */
export async function snapshotFiles(
  src: string,
  dst: string,
  exclusive: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<SnapshotInfo> {
  ensureFreeSpace(join(dst, ".."), treeSize(src).bytes);
  try {
    const seen = await copyTree(src, dst);
    const held = await exclusive(async () => {
      const started = performance.now();
      const recopied = refreshTree(src, dst, seen);
      return { ...recopied, ms: performance.now() - started };
    });
    return {
      ...treeSize(dst),
      lockedMs: Math.round(held.ms),
      recopiedFiles: held.files,
      recopiedBytes: held.bytes,
    };
  } catch (err) {
    rmSync(dst, { recursive: true, force: true });
    throw err;
  }
}
