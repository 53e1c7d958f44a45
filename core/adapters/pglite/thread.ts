/**
 * The embedded database's own thread: PGlite (Postgres compiled to WebAssembly) and the Unix socket
 * that postgres.js connects to, run in a Worker so that a query never blocks the API's event loop and
 * the engine's JIT and garbage collection stay out of the request path. Driven by `open.ts` through
 * messages: `open` (answered `ready`), `snapshot` (a copy of the database files taken between two
 * queries, for `bun run db:backup`; answered `snapshot`) and `close` (answered `closed`); any of them may
 * be answered `failed`. Each answer carries the id of its request.
 */
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import type { ThreadReply, ThreadRequest } from "./open.ts";
import { snapshotFiles } from "./snapshot.ts";

declare const self: Worker;

let db: PGlite | undefined;
let dataDir: string | undefined;
let server: PGLiteSocketServer | undefined;

function reply(message: ThreadReply): void {
  self.postMessage(message);
}

self.onmessage = async (event: MessageEvent<ThreadRequest>) => {
  const msg = event.data;
  try {
    if (msg.type === "open") {
      db = await PGlite.create(msg.dir);
      dataDir = msg.dir;
      recordFinishes(db, new BigInt64Array(msg.finished));
      server = new PGLiteSocketServer({ db, path: msg.socketPath });
      await server.start();
      // Opening leaves ~0.9 GB of garbage in this thread (on a new data directory: initdb's module and
      // its copies of the heap), which its collector otherwise kept through the first minute of work:
      // bench:memory's 12 × 10 MB burst right after start-up peaked ~900 MB higher for it.
      Bun.gc(true);
      reply({ id: msg.id, type: "ready" });
    } else if (msg.type === "snapshot") {
      const open = db;
      if (!open || !dataDir || dataDir === "memory://") throw new Error("no database files to snapshot");
      const info = await snapshotFiles(dataDir, msg.into, (fn) => open.runExclusive(fn));
      reply({ id: msg.id, type: "snapshot", info });
    } else {
      await server?.stop();
      await db?.close();
      reply({ id: msg.id, type: "closed" });
    }
  } catch (err) {
    reply({ id: msg.id, type: "failed", message: describe(err) });
  }
};

/**
 * Each protocol message the socket server hands PGlite writes the time it finished (or failed) into
 * `finished`, which the API thread reads (watchdog.ts): a slow database is still finishing statements,
 * a stuck one is not.
 */
function recordFinishes(open: PGlite, finished: BigInt64Array): void {
  const run = open.execProtocolRawStream.bind(open);
  open.execProtocolRawStream = async (...args) => {
    try {
      return await run(...args);
    } finally {
      Atomics.store(finished, 0, BigInt(Date.now()));
    }
  };
}

/** What went wrong, readable: PGlite can throw objects that are not Errors ("[object Object]" as text). */
function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  const message = (err as { message?: unknown } | null)?.message;
  if (typeof message === "string") return message;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}
