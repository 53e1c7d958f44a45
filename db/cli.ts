/**
 * Database chores (the seed's manage-db.sh): `bun run db:migrate | db:reset | db:backup | db:restore |
 * db:shell`, and `db:recount` (the per-minute counts from the logs again, and search words for events
 * stored without them by processes older than migration 6).
 * Works on the configured database: Postgres at DATABASE_URL, else the embedded PGlite in
 * LOGFLOW_DATA_DIR. Only db:backup works while a LogFlow runs on the embedded database; the others
 * need it stopped (PGlite's files are opened by one process at a time).
 */
import { resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import type { Sql } from "postgres";
import { claimDataDir, DataDirInUseError, openEmbeddedDatabase } from "../core/adapters/pglite/open.ts";
import { connectPostgres } from "../core/adapters/postgres/connect.ts";
import { PostgresLogStore } from "../core/adapters/postgres/log-store.ts";
import { migrate } from "../core/adapters/postgres/migrate.ts";
import { PostgresUserRepo } from "../core/adapters/postgres/user-repo.ts";
import { DEV_ADMIN_PASSWORD } from "../core/config.ts";
import { ensureAdminAccount } from "../edge-api/auth/start-accounts.ts";
import { configOrExit } from "../workers/bun/serve.ts";
import { backupEmbedded, restoreEmbedded } from "./backup-embedded.ts";
import { backupFile, backupKind } from "./backup-file.ts";
import { backupPostgres, DatabaseInUseError, restorePostgres } from "./backup-postgres.ts";
import { MIGRATIONS } from "./migrations/index.ts";

const command = process.argv[2];
const yes = process.argv.includes("--yes");
const config = configOrExit();

/** The value after `--name`, or undefined; `--name` without a value is a usage error. */
function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  if (i < 0) return undefined;
  const value = process.argv[i + 1];
  if (!value || value.startsWith("--")) {
    console.error(`${name} needs a value`);
    process.exit(2);
  }
  return value;
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

async function open(): Promise<{ sql: Sql; close(): Promise<void> }> {
  if (config.DATABASE_URL) {
    const sql = connectPostgres(config.DATABASE_URL, { max: 1 });
    return { sql, close: () => sql.end() };
  }
  return openEmbeddedDatabase(config.LOGFLOW_DATA_DIR);
}

async function confirm(question: string): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY) {
    console.error(`${question} Refusing without a terminal; pass --yes to confirm.`);
    return false;
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await rl.question(`${question} Type "yes" to continue: `);
  rl.close();
  return answer.trim() === "yes";
}

const where = config.DATABASE_URL
  ? "the Postgres database at DATABASE_URL"
  : `PGlite in ${config.LOGFLOW_DATA_DIR}`;

switch (command) {
  case "migrate": {
    const db = await open();
    const applied = await migrate(db.sql, MIGRATIONS);
    console.log(
      applied.length ? `Applied migrations ${applied.join(", ")} to ${where}` : `${where} is up to date`,
    );
    // The edge runtimes (`bun run dev:edge`, Deno) never create accounts: a migrated database has its admin.
    if (await ensureAdminAccount(new PostgresUserRepo(db.sql), config)) {
      const password = config.ADMIN_PASSWORD
        ? "the password in ADMIN_PASSWORD"
        : `password ${DEV_ADMIN_PASSWORD}`;
      console.log(`Created the admin account ${JSON.stringify(config.ADMIN_USERNAME)} (${password})`);
    }
    await db.close();
    break;
  }
  case "recount": {
    // `bun run db:recount [--since 2h|30m|3d]`: per-minute counts from the logs again (see recountMinutes).
    const i = process.argv.indexOf("--since");
    const span = i > 0 ? process.argv[i + 1] : undefined;
    const m = span?.match(/^(\d+)([mhd])$/);
    if (span !== undefined && !m) {
      console.error(`--since takes a span like 30m, 2h or 7d, not ${JSON.stringify(span)}`);
      process.exit(2);
    }
    const from = m
      ? Date.now() - Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "m" | "h" | "d"]
      : undefined;
    const db = await open();
    const store = new PostgresLogStore(db.sql);
    const r = await store.recountMinutes(from);
    console.log(
      `Counted ${r.events.toLocaleString("en-US")} events into ${r.minutes.toLocaleString("en-US")} minutes` +
        `${span ? ` (last ${span})` : ""} in ${where}`,
    );
    // After a rolling upgrade to migration 6: events older processes stored without search words.
    const worded = await store.fillSearchWords(from);
    if (worded > 0)
      console.log(`Gave search words to ${worded.toLocaleString("en-US")} events stored without them`);
    await db.close();
    break;
  }
  case "reset": {
    if (!(await confirm(`This deletes ALL data in ${where}.`))) process.exit(1);
    const db = await open();
    await db.sql.unsafe("drop schema public cascade; create schema public;");
    const applied = await migrate(db.sql, MIGRATIONS);
    console.log(`Reset ${where}; applied migrations ${applied.join(", ")}`);
    await db.close();
    break;
  }
  case "backup": {
    // `bun run db:backup [--out FILE|DIR/]`: works while LogFlow runs (see backup-embedded.ts).
    if (config.DATABASE_URL) {
      const file = backupFile(option("--out"), "postgres");
      await backupPostgres(config.DATABASE_URL, file).catch((err) => fail(String(err.message ?? err)));
      console.log(
        `Backup of ${where} written to ${file} (restore: DATABASE_URL=… bun run db:restore ${file})`,
      );
    } else {
      if (config.LOGFLOW_DATA_DIR === "memory://")
        fail("LOGFLOW_DATA_DIR=memory:// holds nothing to back up");
      const file = backupFile(option("--out"), "embedded");
      const backup = await backupEmbedded(config.LOGFLOW_DATA_DIR, file).catch((err) => fail(err.message));
      const mib = (backup.manifest.bytes / 1_048_576).toFixed(1);
      const held = backup.held
        ? `; the running LogFlow paused its queries for ${backup.held.lockedMs} ms to copy again ` +
          `${(backup.held.recopiedBytes / 1_048_576).toFixed(1)} MiB written meanwhile`
        : "";
      console.log(`Backup of ${where} (${mib} MiB of database files${held}) written to ${file}`);
      console.log(`Restore: LOGFLOW_DATA_DIR=<dir> bun run db:restore ${file}`);
    }
    break;
  }
  case "restore": {
    // `bun run db:restore FILE [--yes]`: into DATABASE_URL, else into LOGFLOW_DATA_DIR; never under a running LogFlow.
    const file = process.argv.slice(3).find((a) => !a.startsWith("--"));
    if (!file) fail("usage: bun run db:restore FILE [--yes]");
    const path = resolve(file);
    let kind: ReturnType<typeof backupKind>;
    try {
      kind = backupKind(path);
    } catch (err) {
      fail(`cannot read ${path}: ${err instanceof Error ? err.message : err}`);
    }
    if (kind === null)
      fail(`${path} is not a LogFlow backup (neither an embedded archive nor a pg_dump file)`);
    if (config.DATABASE_URL) {
      if (kind !== "postgres") {
        fail(
          `${path} is an embedded (PGlite) backup: restore it with DATABASE_URL unset, into LOGFLOW_DATA_DIR`,
        );
      }
      const restored = await restorePostgres(config.DATABASE_URL, path, confirm).catch((err) =>
        fail(
          err instanceof DatabaseInUseError
            ? `Refusing to restore: ${err.message}`
            : String(err.message ?? err),
        ),
      );
      if (!restored) process.exit(1);
      console.log(
        `Restored ${path} into ${where}: migrations up to ${restored.migration}, ${restored.days} days of logs`,
      );
    } else {
      if (kind !== "embedded")
        fail(`${path} is a Postgres dump: set DATABASE_URL to the database to restore it into`);
      if (config.LOGFLOW_DATA_DIR === "memory://") fail("LOGFLOW_DATA_DIR=memory:// cannot be restored into");
      const restored = await restoreEmbedded(config.LOGFLOW_DATA_DIR, path, confirm).catch((err) =>
        fail(
          err instanceof DataDirInUseError
            ? `Refusing to restore over a running LogFlow: ${err.message}`
            : String(err.message ?? err),
        ),
      );
      if (!restored) process.exit(1);
      console.log(
        `Restored ${path} into ${where}: ${restored.events.toLocaleString("en-US")} events, migrations up to ${restored.migration}` +
          ` (backup of ${restored.manifest.created_at}, from a ${restored.manifest.source})`,
      );
      if (restored.setAside)
        console.log(`The database it replaced is kept in ${restored.setAside}; delete it when satisfied.`);
    }
    break;
  }
  case "shell": {
    if (config.DATABASE_URL) {
      const proc = Bun.spawn(["psql", config.DATABASE_URL], { stdio: ["inherit", "inherit", "inherit"] });
      process.exit(await proc.exited);
    }
    // PGlite: serve it on a loopback port for psql when psql exists, else a minimal SQL prompt.
    const release = claimDataDir(config.LOGFLOW_DATA_DIR);
    process.once("exit", release);
    const db = await PGlite.create(resolve(config.LOGFLOW_DATA_DIR, "pglite"));
    if (Bun.which("psql")) {
      const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0 });
      await server.start();
      const port = (server as unknown as { server?: { address(): { port: number } } }).server?.address().port;
      const proc = Bun.spawn(["psql", `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable`], {
        stdio: ["inherit", "inherit", "inherit"],
      });
      const code = await proc.exited;
      await server.stop();
      await db.close();
      process.exit(code);
    }
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    console.log("PGlite SQL prompt (psql not found). End statements with ';', \\q to quit.");
    let buffer = "";
    for (;;) {
      const line = await rl.question(buffer ? "... " : "logflow=# ").catch(() => "\\q");
      if (line.trim() === "\\q") break;
      buffer += `${line}\n`;
      if (!line.trim().endsWith(";")) continue;
      try {
        const results = await db.exec(buffer);
        for (const r of results) if (r.rows.length) console.table(r.rows);
      } catch (err) {
        console.error(err instanceof Error ? err.message : err);
      }
      buffer = "";
    }
    rl.close();
    await db.close();
    break;
  }
  default:
    console.error(
      "usage: bun db/cli.ts migrate | reset [--yes] | backup [--out FILE|DIR/] | restore FILE [--yes] | shell | recount [--since 2h]",
    );
    process.exit(2);
}
