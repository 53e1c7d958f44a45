/**
 * Backups of a Postgres database while LogFlow serves it, and restores (pg_dump / pg_restore / psql):
 * the restore refuses a database LogFlow is connected to, and a restored database serves every event
 * acknowledged before the backup.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
      const truncated = join(tmp, "truncated.dump");
      const bytes = await Bun.file(dump).bytes();
      await Bun.write(truncated, bytes.slice(0, Math.floor(bytes.length * 0.6)));
      const res = await dbCli(["restore", truncated, "--yes"], { DATABASE_URL: target.url });
      expect(res.code).toBe(1);
      expect(res.stderr).toContain("the database is unchanged");
      const check = await startServer({ DATABASE_URL: target.url, LOGFLOW_DATA_DIR: join(tmp, "data3") });
      try {
        expect(await searchTotal(check, before)).toBe(2000);
      } finally {
        await check.stop();
      }
    },
    TIMEOUT,
  );
});
