/**
 * Backup and restore of the embedded database (PGlite files under LOGFLOW_DATA_DIR/pglite, with the
 * signing key kept beside them). A backup is a gzipped tar of those files plus a manifest.
 *
 * While LogFlow runs, the running process alone may touch the files: the backup asks it through its
 * control socket (core/adapters/pglite/control.ts) for a copy taken between two queries, then packs
 * that copy here, in this process, so that compressing costs the server nothing but the copy. When no
 * process holds the directory, this process claims it (so none starts meanwhile) and packs the files.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import * as tar from "tar";
import { SECRET_KEY_FILE } from "../core/adapters/local/secret-key.ts";
import { requestSnapshot } from "../core/adapters/pglite/control.ts";
import { claimDataDir, DataDirInUseError } from "../core/adapters/pglite/open.ts";
import { SNAPSHOTS_DIR, type SnapshotInfo, treeSize } from "../core/adapters/pglite/snapshot.ts";
import { stamp } from "./backup-file.ts";

const MANIFEST = "logflow-backup.json";
const FORMAT = "logflow-embedded-backup";
/** gzip level: 1 packs PGlite's files within a few percent of level 6 at a fraction of the CPU. */
const GZIP_LEVEL = 1;

/** The manifest at the head of every embedded backup. */
export interface EmbeddedManifest {
  format: typeof FORMAT;
  version: 1;
  created_at: string;
  /** "running process <pid>" (a snapshot taken between two queries) or "stopped data dir". */
  source: string;
  /** The Postgres major version of the files (PG_VERSION): PGlite opens only its own. */
  postgres: string;
  files: number;
  bytes: number;
}

export interface EmbeddedBackup {
  file: string;
  manifest: EmbeddedManifest;
  /** What the running process's snapshot cost it (absent when no process held the database). */
  held?: SnapshotInfo;
}

/** Write a backup of the embedded database in `dataDir` to `file` (atomically: `file.partial` first). */
export async function backupEmbedded(dataDir: string, file: string): Promise<EmbeddedBackup> {
  const root = resolve(dataDir);
  const live = join(root, "pglite");
  if (!existsSync(join(live, "PG_VERSION")))
    throw new Error(`no embedded database in ${root}: nothing to back up`);

  let files = live;
  let source = "stopped data dir";
  let held: SnapshotInfo | undefined;
  let done: () => void;
  try {
    done = claimDataDir(root);
  } catch (err) {
    if (!(err instanceof DataDirInUseError)) throw err;
    const snapshot = await requestSnapshot(root).catch((cause: NodeJS.ErrnoException) => {
      if (cause.code === "ENOENT" || cause.code === "ECONNREFUSED") {
        throw new Error(
          `LOGFLOW_DATA_DIR ${root} is in use by process ${err.pid}, which serves no control socket ` +
            "(started by a LogFlow older than backups while running?): restart it with this version, or stop it",
        );
      }
      throw cause;
    });
    const { dir, release, ...info } = snapshot;
    files = dir;
    source = `running process ${err.pid}`;
    held = info;
    done = release;
  }

  // The archive's layout, assembled from links: the manifest, the signing key and the files as pglite/.
  const staging = join(root, SNAPSHOTS_DIR, `backup-${stamp()}-${process.pid}`);
  const partial = `${file}.partial`;
  try {
    mkdirSync(staging, { recursive: true, mode: 0o700 });
    const size = treeSize(files);
    const manifest: EmbeddedManifest = {
      format: FORMAT,
      version: 1,
      created_at: new Date().toISOString(),
      source,
      postgres: readFileSync(join(files, "PG_VERSION"), "utf8").trim(),
      ...size,
    };
    writeFileSync(join(staging, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    symlinkSync(files, join(staging, "pglite"));
    const entries = [MANIFEST, "pglite"];
    if (existsSync(join(root, SECRET_KEY_FILE))) {
      symlinkSync(join(root, SECRET_KEY_FILE), join(staging, SECRET_KEY_FILE));
      entries.push(SECRET_KEY_FILE);
    }
    await tar.create(
      {
        file: partial,
        cwd: staging,
        gzip: { level: GZIP_LEVEL },
        follow: true,
        portable: true,
        // One file at a time in 1 MiB reads: tar's defaults (4 jobs, 16 MiB reads) read far ahead of gzip
        // and held hundreds of MB for a large database.
        jobs: 1,
        maxReadSize: 1 << 20,
      },
      entries,
    );
    chmodSync(partial, 0o600);
    renameSync(partial, file);
    return { file, manifest, ...(held ? { held } : {}) };
  } finally {
    rmSync(staging, { recursive: true, force: true });
    rmSync(partial, { force: true });
    done();
  }
}

/** What a restore found in the backup it put in place. */
export interface EmbeddedRestore {
  manifest: EmbeddedManifest;
  events: number;
  migration: number;
  /** Where the database that was replaced now lies (absent when the directory had none). */
  setAside?: string;
}

/**
 * Restore `file` into `dataDir`. Refuses while a process holds the directory (DataDirInUseError). The
 * backup is unpacked beside the data and opened once (which also replays its write-ahead log) before
 * anything is replaced; the database it replaces is set aside, not deleted. `confirm` is asked before
 * replacing an existing database.
 */
export async function restoreEmbedded(
  dataDir: string,
  file: string,
  confirm: (question: string) => Promise<boolean>,
): Promise<EmbeddedRestore | null> {
  const root = resolve(dataDir);
  const release = claimDataDir(root);
  const when = stamp();
  const work = join(root, `restore-${when}`);
  try {
    const target = join(root, "pglite");
    const replacing = existsSync(join(target, "PG_VERSION"));
    if (replacing && !(await confirm(`This replaces the embedded database in ${target} with ${file}.`))) {
      return null;
    }
    mkdirSync(work, { recursive: true, mode: 0o700 });
    // Only the three kinds of entry a backup holds; tar itself refuses absolute paths and `..`.
    await tar.extract({
      file,
      cwd: work,
      strict: true,
      filter: (path) => path === MANIFEST || path === SECRET_KEY_FILE || /^pglite(\/|$)/.test(path),
    });
    const manifestFile = join(work, MANIFEST);
    const manifest = existsSync(manifestFile)
      ? (JSON.parse(readFileSync(manifestFile, "utf8")) as EmbeddedManifest)
      : null;
    if (
      manifest?.format !== FORMAT ||
      manifest.version !== 1 ||
      !existsSync(join(work, "pglite", "PG_VERSION"))
    ) {
      throw new Error(`${file} is not a LogFlow embedded backup (no ${MANIFEST} of format ${FORMAT} v1)`);
    }

    const db = await PGlite.create(join(work, "pglite"));
    let events: number;
    let migration: number;
    try {
      const [count] = (await db.query<{ n: number }>("select count(*)::int as n from logs")).rows;
      const [version] = (
        await db.query<{ v: number }>("select max(version)::int as v from schema_migrations")
      ).rows;
      events = count?.n ?? 0;
      migration = version?.v ?? 0;
    } finally {
      await db.close();
    }

    const aside = `${target}.before-restore-${when}`;
    if (replacing) renameSync(target, aside);
    else rmSync(target, { recursive: true, force: true });
    renameSync(join(work, "pglite"), target);
    const key = join(work, SECRET_KEY_FILE);
    if (existsSync(key)) {
      const current = join(root, SECRET_KEY_FILE);
      if (existsSync(current) && readFileSync(current, "utf8") !== readFileSync(key, "utf8")) {
        renameSync(current, `${current}.before-restore-${when}`);
      }
      renameSync(key, current);
      chmodSync(current, 0o600);
    }
    return { manifest, events, migration, ...(replacing ? { setAside: aside } : {}) };
  } finally {
    rmSync(work, { recursive: true, force: true });
    release();
  }
}
