/**
 * Backup and restore of a Postgres database (DATABASE_URL) with the PostgreSQL client tools.
 *
 * pg_dump reads one snapshot of the database (a repeatable-read transaction), so a backup taken while
 * LogFlow writes is consistent, and streams it to the file. A restore replaces the database's public
 * schema in one transaction: pg_restore turns the dump into SQL and psql runs it, after dropping the
 * schema, and the transaction commits only when pg_restore read the whole dump, so a restore that fails
 * changes nothing.
 */
import { chmodSync, renameSync, rmSync } from "node:fs";
import type { Sql } from "postgres";
import { connectPostgres } from "../core/adapters/postgres/connect.ts";
import { MIGRATION_LOCK } from "../core/adapters/postgres/migrate.ts";

/** What every LogFlow process calls its connections (application_name), and what the tools here use. */
const LOGFLOW_APPS = "logflow%";
const BACKUP_APP = "logflow-backup";
const RESTORE_APP = "logflow-restore";

/**
 * A libpq target for the client tools: the URL without its password, which goes in PGPASSWORD instead,
 * out of the process list where every local user could read it.
 */
export function libpqTarget(url: string, app: string): { url: string; env: Record<string, string> } {
  const u = new URL(url);
  const env: Record<string, string> = { PGAPPNAME: app };
  if (u.password) {
    env.PGPASSWORD = decodeURIComponent(u.password);
    u.password = "";
  }
  return { url: u.toString(), env };
}

function needTool(name: string): string {
  const path = Bun.which(name);
  if (!path)
    throw new Error(`${name} not found: install the PostgreSQL client (e.g. apt install postgresql-client)`);
  return path;
}

/** pg_dump the database at `url` to `file` (custom format, atomically: `file.partial` first). */
export async function backupPostgres(url: string, file: string): Promise<void> {
  const target = libpqTarget(url, BACKUP_APP);
  const partial = `${file}.partial`;
  try {
    const dump = Bun.spawn([needTool("pg_dump"), "--format=custom", `--file=${partial}`, target.url], {
      env: { ...process.env, ...target.env },
      stdio: ["ignore", "inherit", "inherit"],
    });
    if ((await dump.exited) !== 0)
      throw new Error(`pg_dump failed (exit ${dump.exitCode}); its message is above`);
    chmodSync(partial, 0o600);
    renameSync(partial, file);
  } finally {
    rmSync(partial, { force: true });
  }
}

/** The LogFlow processes connected to the database `sql` is on, by application_name, other than this one. */
export async function connectedLogFlow(sql: Sql): Promise<{ app: string; connections: number }[]> {
  return sql<{ app: string; connections: number }[]>`
    select application_name as app, count(*)::int as connections
    from pg_stat_activity
    where datname = current_database() and pid <> pg_backend_pid()
      and application_name like ${LOGFLOW_APPS} and application_name not in (${BACKUP_APP}, ${RESTORE_APP})
    group by application_name order by application_name`;
}

/** Thrown when LogFlow is connected to the database a restore would replace. */
export class DatabaseInUseError extends Error {
  constructor(readonly connected: { app: string; connections: number }[]) {
    super(
      `LogFlow is connected to this database (${connected.map((c) => `${c.app} ×${c.connections}`).join(", ")}): ` +
        "stop it before restoring over its data",
    );
    this.name = "DatabaseInUseError";
  }
}

export interface PostgresRestore {
  migration: number;
  days: number;
}

/**
 * Restore the dump `file` into the database at `url`, replacing its public schema. Refuses with
 * DatabaseInUseError while a LogFlow process is connected (application_name `logflow…` in
 * pg_stat_activity); `confirm` is asked before replacing a database that holds LogFlow's tables. The
 * migration lock is held throughout, so a LogFlow starting meanwhile waits and then finds the restored
 * schema instead of migrating an empty one.
 */
export async function restorePostgres(
  url: string,
  file: string,
  confirm: (question: string) => Promise<boolean>,
): Promise<PostgresRestore | null> {
  const pgRestore = needTool("pg_restore");
  const psql = needTool("psql");
  const sql = connectPostgres(url, { max: 1, applicationName: RESTORE_APP });
  try {
    const connected = await connectedLogFlow(sql);
    if (connected.length) throw new DatabaseInUseError(connected);
    const [existing] = await sql<
      { rel: string | null }[]
    >`select to_regclass('public.schema_migrations')::text as rel`;
    if (
      existing?.rel &&
      !(await confirm("This replaces ALL data in the Postgres database at DATABASE_URL."))
    ) {
      return null;
    }
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`;

    const target = libpqTarget(url, RESTORE_APP);
    const env = { ...process.env, ...target.env };
    const script = Bun.spawn([pgRestore, "--no-owner", "--no-privileges", "--file=-", file], {
      env,
      stdio: ["ignore", "pipe", "inherit"],
    });
    // One transaction, committed only once pg_restore has said the whole dump was read. psql's
    // --single-transaction is not enough: a truncated or damaged dump makes pg_restore stop in the middle
    // of a COPY's rows, psql takes the end of its input as the end of those rows, and commits the dropped
    // schema with part of the dump in it. Here psql reaches the end of its input with the transaction
    // still open when pg_restore failed, and the server rolls it back as psql disconnects.
    const run = Bun.spawn([psql, "--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1", "--dbname", target.url], {
      env,
      stdin: "pipe",
      stdout: "ignore",
      stderr: "inherit",
    });
    const dumped = await feedRestore(run, script);
    const ran = await run.exited;
    if (dumped !== 0 || ran !== 0) {
      throw new Error(
        `restore failed (${dumped !== 0 ? `pg_restore exit ${dumped}` : `psql exit ${ran}`}); the database is unchanged. The tool's message is above`,
      );
    }

    const [version] = await sql<{ v: number }[]>`select max(version)::int as v from schema_migrations`;
    const [days] = await sql<{ n: number }[]>`
      select count(*)::int as n from pg_inherits where inhparent = 'logs'::regclass`;
    return { migration: version?.v ?? 0, days: days?.n ?? 0 };
  } finally {
    await sql`select pg_advisory_unlock_all()`.catch(() => {});
    await sql.end({ timeout: 5 });
  }
}

/**
 * Stream pg_restore's SQL into psql inside one transaction (`begin`, the schema dropped and created, the
 * dump), and `commit` only when pg_restore exits 0. Returns pg_restore's exit code. If psql stops first
 * (ON_ERROR_STOP), pg_restore is stopped too.
 */
async function feedRestore(
  psql: Bun.Subprocess<"pipe", "ignore", "inherit">,
  pgRestore: Bun.Subprocess<"ignore", "pipe", "inherit">,
): Promise<number> {
  const input = psql.stdin;
  let open = true;
  const send = async (chunk: string | Uint8Array) => {
    if (!open) return;
    try {
      input.write(chunk);
      await input.flush();
    } catch {
      // psql has gone (it stopped at an error, which it reported): nothing more to send it.
      open = false;
      pgRestore.kill();
    }
  };
  await send(
    "begin;\nset client_min_messages = warning;\ndrop schema public cascade;\ncreate schema public;\n",
  );
  for await (const chunk of pgRestore.stdout) await send(chunk);
  const code = await pgRestore.exited;
  if (code === 0) await send("\ncommit;\n");
  if (open) await Promise.resolve(input.end()).catch(() => {});
  return code;
}
