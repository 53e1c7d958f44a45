/**
 * The control socket of a running embedded LogFlow: a Unix socket in LOGFLOW_DATA_DIR through which
 * `bun run db:backup` asks the process that holds the database for a consistent copy of its files.
 * PGlite's files must never be opened by two processes, so another process cannot read the database
 * itself while LogFlow runs; the running process can, between two queries.
 *
 * Only this user may connect: the socket is made 0600 (and connecting to a Unix socket needs write
 * permission on it, which the default umask already withholds from others). The protocol is one JSON
 * line each way: `{"op":"snapshot"}` is answered `{"ok":true,"dir",…}` once the copy is made, and the
 * copy is deleted when the client closes the connection, so a backup that dies leaves nothing behind.
 */
import { chmodSync, mkdirSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { connect, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { SNAPSHOTS_DIR, type SnapshotInfo } from "./snapshot.ts";

/** The control socket's file name in the data dir. */
export const CONTROL_SOCKET = "logflow.sock";

export type ControlReply = ({ ok: true; dir: string } & SnapshotInfo) | { ok: false; error: string };

/** Read one JSON line from a socket; rejects when it closes first. */
function readLine(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = "";
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      const end = buffer.indexOf("\n");
      if (end < 0) return;
      cleanup();
      resolve(buffer.slice(0, end));
    };
    const onEnd = () => {
      cleanup();
      reject(new Error("the connection closed before a full line arrived"));
    };
    const cleanup = () => {
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("error", onEnd);
    };
    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("error", onEnd);
  });
}

export interface ControlServer {
  close(): Promise<void>;
}

/**
 * Serve the control socket in `dataDir`. `snapshot(into)` copies the database files into `into` (a
 * directory that does not exist yet). One snapshot at a time; snapshots left by a process that died
 * are removed here, at start.
 */
export async function serveControl(
  dataDir: string,
  snapshot: (into: string) => Promise<SnapshotInfo>,
): Promise<ControlServer> {
  const path = join(dataDir, CONTROL_SOCKET);
  const snapshots = join(dataDir, SNAPSHOTS_DIR);
  rmSync(path, { force: true });
  rmSync(snapshots, { recursive: true, force: true });
  let busy = false;

  const server: Server = createServer((socket) => {
    socket.on("error", () => {}); // a client that vanished: "close" follows and removes its snapshot
    let closed = false;
    let release: (() => void) | undefined;
    socket.once("close", () => {
      closed = true;
      release?.();
    });
    void (async () => {
      const answer = (reply: ControlReply) => socket.write(`${JSON.stringify(reply)}\n`);
      try {
        const request = JSON.parse(await readLine(socket)) as { op?: unknown };
        if (request.op !== "snapshot") throw new Error(`unknown op ${JSON.stringify(request.op)}`);
        if (busy) throw new Error("another backup is being taken; try again when it is done");
        busy = true;
        const dir = join(snapshots, `${Date.now()}-${process.pid}`);
        // Asynchronous: this is the thread that serves requests, and a copy of a large database takes a
        // while to delete.
        release = () => {
          void rm(dir, { recursive: true, force: true }).finally(() => {
            busy = false;
          });
        };
        mkdirSync(snapshots, { recursive: true, mode: 0o700 });
        const info = await snapshot(dir);
        if (closed) release();
        else answer({ ok: true, dir, ...info });
      } catch (err) {
        release?.();
        release = undefined;
        answer({ ok: false, error: err instanceof Error ? err.message : String(err) });
        socket.end();
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        rmSync(path, { force: true });
      }),
  };
}

/** A snapshot held for the caller; `release()` lets the running process delete it. */
export interface HeldSnapshot extends SnapshotInfo {
  dir: string;
  release(): void;
}

/**
 * Ask the process serving the control socket in `dataDir` for a snapshot of its database. Rejects with
 * the process's reason, or when nothing serves the socket.
 */
export async function requestSnapshot(dataDir: string): Promise<HeldSnapshot> {
  const socket = connect({ path: join(dataDir, CONTROL_SOCKET) });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.write(`${JSON.stringify({ op: "snapshot" })}\n`);
  const reply = JSON.parse(await readLine(socket)) as ControlReply;
  if (!reply.ok) {
    socket.destroy();
    throw new Error(reply.error);
  }
  const { ok: _ok, ...info } = reply;
  return { ...info, release: () => socket.end() };
}
