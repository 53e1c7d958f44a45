/**
 * Backups of a Postgres database while LogFlow serves it, and restores (pg_dump / pg_restore / psql):
 * the restore refuses a database LogFlow is connected to, and a restored database serves every event
 * acknowledged before the backup.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres, { type Sql } from "postgres";
import { libpqTarget } from "../../db/backup-postgres.ts";
import { freshPostgresDatabase, postgresReachable } from "../helpers/engines.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";
import { dbCli, dbCliDuringIngest, ingest, type Server, searchTotal, startServer } from "./helpers.ts";

integrationTimeouts();

const TIMEOUT = 120_000;
const enabled = await postgresReachable();
const tmp = mkdtempSync(join(tmpdir(), "logflow-pg-backup-"));
const outDir = join(tmp, "out");
const run = crypto.randomUUID().slice(0, 8);
const before = `before${run}`;
const during = `during${run}`;

/** Run one thing on its own connection to `url`, closed after. */
async function withPostgres<T>(url: string, use: (sql: Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await use(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Whether `public.<name>` exists in the database at `url`. */
async function tableExists(url: string, name: string): Promise<boolean> {
  const [row] = await withPostgres(
    url,
    (sql) => sql<{ rel: string | null }[]>`select to_regclass(${`public.${name}`})::text as rel`,
  );
  return row?.rel === name;
}

describe.skipIf(!enabled)("Postgres backup while LogFlow runs, and restore", () => {
  let source: { url: string; drop(): Promise<void> };
  let target: { url: string; drop(): Promise<void> };
  let server: Server;
  let second: Server | undefined;
  let dump = "";
  let duringAccepted = 0;

  beforeAll(async () => {
    source = await freshPostgresDatabase();
    target = await freshPostgresDatabase();
    server = await startServer({ DATABASE_URL: source.url, LOGFLOW_DATA_DIR: join(tmp, "data") });
    for (let i = 0; i < 4; i++) expect(await ingest(server, before, 500)).toBe(500);
  }, TIMEOUT);
  afterAll(async () => {
    await server?.stop();
    await second?.stop();
    await source?.drop();
    await target?.drop();
    rmSync(tmp, { recursive: true, force: true });
  }, TIMEOUT);

  test(
    "db:backup --out DIR/ writes a dump there while ingest goes on",
    async () => {
      const { accepted } = await dbCliDuringIngest(server, during, ["backup", "--out", `${outDir}/`], {
        DATABASE_URL: source.url,
      });
      duringAccepted = accepted;

      const files = readdirSync(outDir);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^logflow-postgres-.*\.dump$/);
      dump = join(outDir, files[0]!);
      expect(statSync(dump).mode & 0o777).toBe(0o600);
    },
    TIMEOUT,
  );

  test(
    "db:restore refuses the database the server is connected to, naming what is connected",
    async () => {
      const res = await dbCli(["restore", dump, "--yes"], { DATABASE_URL: source.url });
      expect(res.code).toBe(1);
      expect(res.stderr).toContain("Refusing to restore: LogFlow is connected to this database (logflow ×");
      expect(await searchTotal(server, before)).toBe(2000);
    },
    TIMEOUT,
  );

  test(
    "db:restore into a fresh database brings back every event acknowledged before the backup",
    async () => {
      const res = await dbCli(["restore", dump], { DATABASE_URL: target.url });
      expect(res.stderr).toBe("");
      expect(res.code).toBe(0);
      second = await startServer({ DATABASE_URL: target.url, LOGFLOW_DATA_DIR: join(tmp, "data2") });
      expect(await searchTotal(second, before)).toBe(2000);
      expect(await searchTotal(second, during)).toBeLessThanOrEqual(duringAccepted);
    },
    TIMEOUT,
  );

  test(
    "restoring over a database with LogFlow's tables asks first: refused without --yes, done with it",
    async () => {
      await second?.stop();
      second = undefined;
      const refused = await dbCli(["restore", dump], { DATABASE_URL: target.url });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("pass --yes");
      const done = await dbCli(["restore", dump, "--yes"], { DATABASE_URL: target.url });
      expect(done.stderr).toBe("");
      expect(done.code).toBe(0);
    },
    TIMEOUT,
  );

  test(
    "a restore that fails part-way changes nothing",
    async () => {
      // A table the dump does not hold: a restore that committed anything (it drops the schema first)
      // would take it away.
      const marker = `marker_${run}`;
      await withPostgres(target.url, (sql) => sql`create table ${sql(marker)} (x int)`);
      const truncated = join(tmp, "truncated.dump");
      const bytes = await Bun.file(dump).bytes();
      await Bun.write(truncated, bytes.slice(0, Math.floor(bytes.length * 0.6)));
      const res = await dbCli(["restore", truncated, "--yes"], { DATABASE_URL: target.url });
      expect(res.code).toBe(1);
      expect(res.stderr).toContain("the database is unchanged");
      expect(await tableExists(target.url, marker)).toBe(true);
      const check = await startServer({ DATABASE_URL: target.url, LOGFLOW_DATA_DIR: join(tmp, "data3") });
      try {
        expect(await searchTotal(check, before)).toBe(2000);
      } finally {
        await check.stop();
      }
    },
    TIMEOUT,
  );

  test(
    "a dump cut short commits nothing, wherever the cut falls (even where the rows read so far are valid SQL)",
    async () => {
      // pg_restore stops in the middle of a COPY's rows wherever a dump is cut, and psql takes the end of
      // its input as the end of those rows. A cut inside one of LogFlow's rows leaves a row psql refuses,
      // but one text column makes every cut valid: with psql's --single-transaction the dropped schema
      // and the part read were committed, and the command still said "the database is unchanged".
      const small = await freshPostgresDatabase();
      const into = await freshPostgresDatabase();
      try {
        await withPostgres(small.url, async (sql) => {
          await sql`create table words (w text)`;
          await sql`insert into words select md5(i::text) from generate_series(1, 50000) i`;
        });
        const file = join(tmp, "words.dump");
        const env = { ...process.env, ...libpqTarget(small.url, "logflow-test").env };
        const dumped = Bun.spawnSync(
          ["pg_dump", "-Fc", "-f", file, libpqTarget(small.url, "logflow-test").url],
          {
            env,
          },
        );
        expect(dumped.exitCode).toBe(0);
        await withPostgres(into.url, (sql) => sql`create table marker (x int)`);
        const bytes = await Bun.file(file).bytes();
        for (const cut of [0.2, 0.5, 0.9]) {
          const truncated = join(tmp, `words-${cut}.dump`);
          await Bun.write(truncated, bytes.slice(0, Math.floor(bytes.length * cut)));
          const res = await dbCli(["restore", truncated, "--yes"], { DATABASE_URL: into.url });
          expect(res.code).toBe(1);
          expect(res.stderr).toContain("the database is unchanged");
          expect({
            cut,
            marker: await tableExists(into.url, "marker"),
            words: await tableExists(into.url, "words"),
          }).toEqual({
            cut,
            marker: true,
            words: false,
          });
        }
      } finally {
        await small.drop();
        await into.drop();
      }
    },
    TIMEOUT,
  );
});
