/**
 * The embedded database's own thread: PGlite (Postgres compiled to WebAssembly) and the Unix socket
 * that postgres.js connects to, run in a Worker so that a query never blocks the API's event loop and
 * the engine's JIT and garbage collection stay out of the request path. Driven by `open.ts` through
 * messages: `open` (answered `ready` or `failed`) and `close` (answered `closed`).
 */
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import type { ThreadReply, ThreadRequest } from "./open.ts";

declare const self: Worker;

let db: PGlite | undefined;
let server: PGLiteSocketServer | undefined;

function reply(message: ThreadReply): void {
  self.postMessage(message);
}

self.onmessage = async (event: MessageEvent<ThreadRequest>) => {
  const msg = event.data;
  try {
    if (msg.type === "open") {
      db = await PGlite.create(msg.dir);
      server = new PGLiteSocketServer({ db, path: msg.socketPath });
      await server.start();
      reply({ type: "ready" });
    } else {
      await server?.stop();
      await db?.close();
      reply({ type: "closed" });
    }
  } catch (err) {
    reply({ type: "failed", message: err instanceof Error ? err.message : String(err) });
  }
};
