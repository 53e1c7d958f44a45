/**
 * What `patches/postgres@3.4.9.patch` makes postgres.js do, against a real Postgres. Without the patch each
 * of these cases hangs for ever or throws from a timer, out of every caller's reach (the patch's comments
 * say how). The patch changes the two builds LogFlow loads: `src/` (Bun, Deno, Node's `import`) and
 * `cf/` (workerd, bundled by wrangler); these tests run `src/`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import net from "node:net";
import { finished } from "node:stream/promises";
import postgres, { type Sql } from "postgres";
import { freshPostgresDatabase, POSTGRES_ADMIN_URL, postgresReachable } from "../helpers/engines.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

const available = await postgresReachable();

/**
 * How work on a lost connection may fail: which one a promise sees depends on whether the socket's error,
 * its close or the server's last message reaches it first. What matters is that it fails, not hangs.
 */
const CONNECTION_LOST = ["CONNECTION_CLOSED", "ECONNRESET", "57P01"];

/**
 * How a promise ended within `ms` of this call: "resolved", the error's code (or message), or "pending".
 * Call it as soon as the promise exists, so a rejection is never left unhandled meanwhile.
 */
async function outcome(promise: Promise<unknown>, ms = 5_000): Promise<string> {
  let timer: Timer | undefined;
  const pending = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve("pending"), ms);
  });
  const settled = promise.then(
    () => "resolved",
    (err: { code?: string; message?: string }) => err?.code ?? err?.message ?? String(err),
  );
  try {
    return await Promise.race([settled, pending]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The client answers `select 1` again. A dead transaction still sends its ROLLBACK through the connection
 * it had, so one query right after may fail with CONNECTION_CLOSED; none may hang.
 */
async function answersAgain(sql: Sql): Promise<void> {
  const seen: string[] = [];
  for (let i = 0; i < 10; i++) {
    const result = await outcome(sql`select 1`);
    if (result === "resolved") return;
    seen.push(result);
    if (result === "pending") break;
    await Bun.sleep(50);
  }
  throw new Error(`the client never answered again: ${seen.join(", ")}`);
}

describe.skipIf(!available)("postgres.js as patched (patches/postgres@3.4.9.patch)", () => {
  let url: string;
  let drop: () => Promise<void>;
  const admin = postgres(POSTGRES_ADMIN_URL, { max: 1, onnotice: () => {} });
  const clients: Sql[] = [];
  const connect = (options: postgres.Options<Record<string, never>> = {}, to = url): Sql => {
    const sql = postgres(to, { max: 1, onnotice: () => {}, connect_timeout: 5, ...options });
    clients.push(sql);
    return sql;
  };

  /** Ends the backend of `database` running a statement that contains `text`, once it runs. */
  async function terminateBackend(text: string): Promise<void> {
    const database = new URL(url).pathname.slice(1);
    for (let i = 0; i < 100; i++) {
      const [row] = await admin<{ ended: boolean }[]>`
        select pg_terminate_backend(pid) as ended from pg_stat_activity
        where datname = ${database} and position(${text} in query) > 0 and state = 'active'
          and pid <> pg_backend_pid()`;
      if (row?.ended) return;
      await Bun.sleep(50);
    }
    throw new Error(`no backend ran ${text}`);
  }

  beforeAll(async () => {
    ({ url, drop } = await freshPostgresDatabase());
    const sql = connect();
    await sql`create table t (id int primary key)`;
  });

  afterAll(async () => {
    for (const sql of clients) await sql.end({ timeout: 1 }).catch(() => {});
    await drop?.();
    await admin.end();
  });

  test("a COPY FROM STDIN the server refuses at its end rejects with the server's error, and its transaction rolls back (porsager/postgres#1173)", async () => {
    const sql = connect();
    const tx = sql.begin(async (tx) => {
      await tx`insert into t values (100)`;
      const copy = await tx`copy t (id) from stdin`.writable();
      // The duplicate is found when the data ends, after CopyDone.
      copy.end("101\n101\n");
      await finished(copy);
    });
    expect(await outcome(tx)).toBe("23505");
    expect([...(await sql`select id from t where id >= 100`)]).toEqual([]);
    await answersAgain(sql);
  });

  test("a transaction whose backend is terminated rejects, and its client answers again (porsager/postgres#1154, #1208)", async () => {
    const sql = connect();
    const tx = outcome(
      sql.begin(async (tx) => {
        await tx`select pg_sleep(30) as in_terminated_tx`;
      }),
      15_000,
    );
    await terminateBackend("in_terminated_tx");
    expect(CONNECTION_LOST).toContain(await tx);
    await answersAgain(sql);
  });

  test("a connection reset in the middle of a transaction rejects it and what it sent after, and its client answers again (reported on porsager/postgres PR #1215)", async () => {
    // A proxy that resets (RST) the client's side: a socket error, not a close the server asked for.
    const sockets: net.Socket[] = [];
    const proxy = net.createServer((client) => {
      const server = net.connect(Number(new URL(url).port || 5432), new URL(url).hostname);
      sockets.push(client);
      client.on("error", () => {});
      server.on("error", () => {});
      client.on("close", () => server.destroy());
      server.on("close", () => client.destroy());
      client.pipe(server).pipe(client);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    try {
      const proxied = new URL(url);
      proxied.host = `127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
      const sql = connect({}, proxied.toString());
      let savepoint: Promise<string> | undefined;
      const tx = outcome(
        sql.begin(async (tx) => {
          // The savepoint's ROLLBACK TO goes out between the socket's error and its close.
          savepoint = outcome(tx.savepoint((sp) => sp`select pg_sleep(30) as in_reset_tx`));
          await savepoint;
        }),
        15_000,
      );
      while (sockets.length === 0) await Bun.sleep(20);
      await Bun.sleep(200);
      for (const socket of sockets) socket.resetAndDestroy();
      expect(CONNECTION_LOST).toContain(await tx);
      expect(CONNECTION_LOST).toContain((await savepoint) ?? "never sent");
      await answersAgain(sql);
    } finally {
      proxy.close();
    }
  });

  test("the error that ended a session does not fail the first query of the next one (porsager/postgres#1216)", async () => {
    const sql = connect();
    const running = outcome(sql`select pg_sleep(30) as in_terminated_query`.execute(), 15_000);
    await terminateBackend("in_terminated_query");
    expect(CONNECTION_LOST).toContain(await running);
    expect(await outcome(sql`select 1`)).toBe("resolved");
  });

  test("a COPY whose connection dies while its data is still being sent fails, and the client's next COPY works (porsager/postgres#1216)", async () => {
    const sql = connect();
    const copy = await sql`copy t (id) from stdin`.writable();
    const copying = outcome(finished(copy), 15_000);
    copy.write("300\n301\n");
    await terminateBackend("copy t");
    expect(CONNECTION_LOST).toContain(await copying);
    const again = (async () => {
      const next = await sql`copy t (id) from stdin`.writable();
      next.end("300\n301\n");
      await finished(next);
    })();
    expect(await outcome(again)).toBe("resolved");
    expect([...(await sql`select id from t where id >= 300 order by id`)]).toEqual([
      { id: 300 },
      { id: 301 },
    ]);
  });
});
