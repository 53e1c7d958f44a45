import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, Socket } from "node:net";
import { join, resolve } from "node:path";
import postgres, { type Sql } from "postgres";
import type { LogLine } from "../../logger.ts";
import { isAlive } from "../../process-alive.ts";
import { type ControlServer, serveControl } from "./control.ts";
import type { SnapshotInfo } from "./snapshot.ts";
import { stuckBecause } from "./watchdog.ts";

export interface EmbeddedDatabase {
  sql: Sql;
  /** Where the database files live. */
  dir: string;
  close(): Promise<void>;
  /** Why the database cannot serve now (it stopped answering and is being restarted), or null. */
  fault(): string | null;
  /**
   * A statement failed or took too long (`why`): probe the database, and if the probe fails, or no
   * statement finishes for `stallMs` while it waits, restart its thread until it answers (in the
   * background; `fault()` says why meanwhile).
   */
  suspect(why: string): void;
  /** When the database thread last finished a statement (ms since the epoch). */
  lastFinished(): number;
}

/** Messages to the database thread (thread.ts) and its answers, matched by id. */
export type ThreadRequest = { id: number } & (
  | {
      type: "open";
      dir: string;
      socketPath: string;
      /** One BigInt64 the thread sets to Date.now() each time a statement finishes (watchdog.ts). */
      finished: SharedArrayBuffer;
    }
  | { type: "snapshot"; into: string }
  | { type: "close" }
);
export type ThreadReply = { id: number } & (
  | { type: "ready" }
  | { type: "snapshot"; info: SnapshotInfo }
  | { type: "closed" }
  | { type: "failed"; message: string }
);

type Request = ThreadRequest extends infer R ? (R extends ThreadRequest ? Omit<R, "id"> : never) : never;
let nextRequestId = 1;

/** Send one request to the database thread and wait for its answer; a failure or a crash rejects. */
function ask(worker: Worker, request: Request): Promise<ThreadReply> {
  const id = nextRequestId++;
  return new Promise((resolve, reject) => {
    const done = () => {
      worker.removeEventListener("message", onMessage);
      worker.removeEventListener("error", onError);
    };
    const onMessage = (event: MessageEvent<ThreadReply>) => {
      if (event.data.id !== id) return; // another request's answer
      done();
      if (event.data.type === "failed") reject(new Error(`embedded database: ${event.data.message}`));
      else resolve(event.data);
    };
    const onError = (event: ErrorEvent) => {
      done();
      reject(new Error(`embedded database thread crashed: ${event.message}`));
    };
    worker.addEventListener("message", onMessage);
    worker.addEventListener("error", onError);
    worker.postMessage({ ...request, id });
  });
}

/** Data directories this process has open: the pid file cannot tell two opens in one process apart. */
const openHere = new Set<string>();

/** The data directory is claimed by another process that is still running. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`LOGFLOW_DATA_DIR ${dir} is in use by process ${pid}; stop it or choose another LOGFLOW_DATA_DIR`);
    this.name = "DataDirInUseError";
  }
}

/**
 * Claim a data directory for this process (PGlite's files must never be opened by two processes at
 * once: that corrupts them). The pid file is created exclusively, so two processes starting together
 * cannot both pass; one left by a dead process is taken over. Returns the release function; throws
 * DataDirInUseError when a running process holds the directory.
 */
export function claimDataDir(dataDir: string): () => void {
  const runDir = resolve(dataDir);
  // Only this user: the directory holds the database, the signing key and the control socket.
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  if (openHere.has(runDir)) throw new Error(`LOGFLOW_DATA_DIR ${runDir} is in use by this process already`);
  const lockFile = join(runDir, "pglite.pid");
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: "wx" });
      openHere.add(runDir);
      return () => {
        rmSync(lockFile, { force: true });
        openHere.delete(runDir);
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const pid = Number(readFileSync(lockFile, "utf8"));
      if (pid && pid !== process.pid && isAlive(pid)) throw new DataDirInUseError(runDir, pid);
      rmSync(lockFile, { force: true }); // left by a process that is gone
    }
  }
  throw new Error(`could not claim LOGFLOW_DATA_DIR ${runDir}`);
}

/** A connection refused while the database thread is being replaced: an outage, as a refused connect is. */
function restarting(): Error {
  return Object.assign(new Error("connect ECONNREFUSED: the embedded database is restarting"), {
    code: "ECONNREFUSED",
    syscall: "connect",
  });
}

/** How often a database thread that stopped answering is started again, ms. */
const RESTART_EVERY_MS = 2_000;
/** How long a restarted thread's probe (`select 1`) may take before it counts as not answering, ms. */
const PROBE_TIMEOUT_MS = 3_000;
/** How often a suspect database's progress is looked at while its probe waits, ms. */
const WATCH_EVERY_MS = 1_000;
/** How long with no finished statement a suspect database counts as stuck, ms, unless told (config's default). */
const STALL_MS = 15_000;
/** How long the thread may take to open the files (creating them on first start takes seconds), ms. */
const OPEN_TIMEOUT_MS = 120_000;
/** How long a restarted thread may take to open existing files (PGlite can hang on unwritable ones), ms. */
const REOPEN_TIMEOUT_MS = 20_000;

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * Why files cannot be written under `dir` (read-only file system, permission denied, disk full), as the
 * system says it, or null when a small file can be written and removed there.
 */
export function unwritable(dir: string): string | null {
  const probe = join(dir, `.write-probe-${process.pid}`);
  try {
    writeFileSync(probe, "logflow write probe\n");
    rmSync(probe, { force: true });
    return null;
  } catch (err) {
    try {
      rmSync(probe, { force: true });
    } catch {} // the directory refuses this too
    const e = err as NodeJS.ErrnoException;
    // "EROFS: read-only file system, open '/…/x'" → "EROFS read-only file system" (no paths for clients)
    const what = e.message.replace(/^[A-Z]+: /, "").replace(/, \w+ '.*$/, "");
    return e.code ? `${e.code} ${what}` : String(err);
  }
}

/**
 * Open (creating if needed) the embedded PGlite database under `dataDir` and connect postgres.js to
 * it over a private Unix socket, so that the embedded profile runs exactly the SQL the server profile
 * runs. PGlite runs in a thread of its own (thread.ts): its queries no longer stop the event loop that
 * serves requests, and on two cores the API and the database each get one. PGlite is a single
 * session: the pool is one connection (see DESIGN.md, engine notes).
 * `dataDir` of "memory://" opens a throw-away in-memory database (tests).
 *
 * PGlite does not survive a failed write to its files (an unwritable or read-only data directory): it
 * stops answering, for good. `suspect()` (called when a write fails or takes too long) probes it, and
 * when it does not answer, the thread is replaced by a new one on the same files, every couple of
 * seconds until one opens and answers: what was committed is recovered from the write-ahead log, what
 * was not was never acknowledged. Meanwhile `fault()` says why, for /health and for ingest's 503.
 */
export async function openEmbeddedDatabase(
  dataDir: string,
  opts: { log?: LogLine; stallMs?: number } = {},
): Promise<EmbeddedDatabase> {
  const log = opts.log ?? (() => {});
  const stallMs = opts.stallMs ?? STALL_MS;
  const inMemory = dataDir === "memory://";
  const dir = inMemory ? "memory://" : resolve(dataDir, "pglite");
  const runDir = inMemory
    ? join(process.env.TMPDIR ?? "/tmp", `logflow-pglite-${process.pid}-${crypto.randomUUID().slice(0, 8)}`)
    : resolve(dataDir);
  mkdirSync(runDir, { recursive: true, mode: 0o700 });

  const release = inMemory ? () => {} : claimDataDir(dataDir);

  const socketPath = join(runDir, `.s.PGSQL.${process.pid}`);
  // Shared with the current thread (each new one gets its own): when it last finished a statement.
  let finished = new BigInt64Array(new SharedArrayBuffer(8));
  const lastFinished = () => Number(Atomics.load(finished, 0));
  const startThread = async (timeoutMs: number): Promise<Worker> => {
    rmSync(socketPath, { force: true });
    const thread = new Worker(new URL("./thread.ts", import.meta.url).href);
    finished = new BigInt64Array(new SharedArrayBuffer(8));
    Atomics.store(finished, 0, BigInt(Date.now()));
    try {
      const open = { type: "open" as const, dir, socketPath, finished: finished.buffer as SharedArrayBuffer };
      await within(ask(thread, open), timeoutMs, "opening the database");
      return thread;
    } catch (err) {
      thread.terminate();
      throw err;
    }
  };
  let worker: Worker;
  try {
    worker = await startThread(OPEN_TIMEOUT_MS);
  } catch (err) {
    release();
    throw err;
  }
  // postgres.js's connections to the thread are opened here (its `socket` option), so that this side can
  // close them. A thread that stopped answering is not always gone after terminate(): one that failed a
  // COMMIT on a read-only data directory spins in the engine and ignores it, and its end of the socket
  // stays open. The COMMIT then never settled, its transaction kept the pool's one connection, and every
  // later query waited behind it for good (tests/data-dir-fault hung so with multi-statement batches).
  const connections = new Set<Socket>();
  /** False while the thread is being replaced: a connection then fails at once (see connectToThread). */
  let serving = true;
  const connectToThread = (): Socket => {
    const socket = serving ? createConnection(socketPath) : new Socket();
    connections.add(socket);
    socket.once("close", () => connections.delete(socket));
    // Not to the old socket file: a stuck thread's listener still takes connections into its backlog and
    // never answers them. Refused instead (an error, then a close, as a refused connect does), so the
    // query fails at once and callers see the outage they already handle (isPostgresOutage).
    if (!serving) setImmediate(() => socket.destroy(restarting()));
    return socket;
  };
  // `socket` is a documented postgres.js option its types leave out: passed as a variable, not a literal.
  const options = {
    socket: connectToThread,
    // A reconnect waits this long (s) after a failed connection, whatever the count: the default backoff
    // grows to ~20 s after a few failed connects, and a fault of a minute fails many. Over a local socket
    // a retry costs nothing, and the restarted thread's probe must not wait for it.
    backoff: () => 0.05,
    user: "postgres",
    database: "postgres",
    max: 1,
    onnotice: () => {},
    types: { bigint: postgres.BigInt },
    transform: { undefined: null },
  };
  const sql = postgres(options);

  let fault: string | null = null;
  let checking = false;
  let closed = false;
  const describe = (why: string) => {
    const files = inMemory ? null : unwritable(dir);
    return files ? `cannot write to LOGFLOW_DATA_DIR (${files})` : why;
  };
  /** Replace the thread until a new one opens the files and answers; resolves when it does (or on close). */
  const restart = async () => {
    while (!closed) {
      serving = false;
      // Closed from this side: a statement waiting on the old thread fails now (its thread's own end may
      // never close, see connectToThread), and so does a transaction around it.
      for (const socket of connections) socket.destroy();
      worker.terminate();
      try {
        worker = await startThread(REOPEN_TIMEOUT_MS);
        serving = true;
        await within(sql`select 1`, PROBE_TIMEOUT_MS, "the restarted database");
        return;
      } catch (err) {
        const now = describe(err instanceof Error ? err.message : String(err));
        if (now !== fault) log({ level: "ERROR", msg: "embedded database still unavailable", reason: now });
        fault = now;
        await new Promise((r) => setTimeout(r, RESTART_EVERY_MS));
      }
    }
  };
  const suspect = (why: string) => {
    if (checking || closed) return;
    checking = true;
    void (async () => {
      try {
        // PGlite is one session: the probe waits behind the statement that was slow. A thread still
        // finishing statements is busy, not stuck, however late the probe (see watchdog.ts).
        const probe = sql`select 1`.execute();
        const stuck = await stuckBecause({ probe, lastFinished, stallMs, everyMs: WATCH_EVERY_MS });
        if (!stuck || closed) return;
        fault = describe(`${why}; then ${stuck}`);
        log({ level: "ERROR", msg: "embedded database stopped answering; restarting it", reason: fault });
        await restart();
        if (!closed) {
          fault = null;
          log({ level: "INFO", msg: "embedded database answers again" });
        }
      } finally {
        checking = false;
      }
    })();
  };

  let control: ControlServer | undefined;
  const close = async () => {
    closed = true;
    await control?.close().catch(() => {}); // its socket file may not be removable (an unwritable directory)
    await sql.end({ timeout: 5 });
    await within(ask(worker, { type: "close" }), 10_000, "closing the database").catch(() => {});
    worker.terminate();
    rmSync(socketPath, { force: true });
    if (inMemory) rmSync(runDir, { recursive: true, force: true });
    release();
  };
  try {
    // PGlite ignores startup parameters, so the planner setting connectPostgres sends at start-up is set
    // here, for this session and (ALTER DATABASE) for later ones. Why it matters: see connect.ts.
    await sql`alter database postgres set plan_cache_mode = force_custom_plan`;
    await sql`set plan_cache_mode = force_custom_plan`;
    // `bun run db:backup` asks through this socket for a copy of the files taken between two queries.
    if (!inMemory) {
      control = await serveControl(runDir, async (into) => {
        const reply = await ask(worker, { type: "snapshot", into });
        if (reply.type !== "snapshot") throw new Error(`embedded database answered ${reply.type}`);
        return reply.info;
      });
    }
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
  return { sql, dir, close, fault: () => fault, suspect, lastFinished };
}
