/**
 * Backups of the embedded database while LogFlow runs, and restores: a real server process on a PGlite
 * data dir takes ingest traffic while `bun run db:backup` runs; the backup restores into a fresh data
 * dir that a second server then serves.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { integrationTimeouts } from "../helpers/timeouts.ts";
import { dbCli, dbCliDuringIngest, ingest, type Server, searchTotal, startServer } from "./helpers.ts";

integrationTimeouts();

const TIMEOUT = 120_000;
const tmp = mkdtempSync(join(tmpdir(), "logflow-backup-"));
const source = join(tmp, "source");
const restored = join(tmp, "restored");
const archive = join(tmp, "out", "live.tar.gz");
const run = crypto.randomUUID().slice(0, 8);
const before = `before${run}`;
const during = `during${run}`;

describe("embedded backup while LogFlow runs, and restore", () => {
  let server: Server;
  let second: Server | undefined;
  let duringAccepted = 0;

  beforeAll(async () => {
    server = await startServer({ LOGFLOW_DATA_DIR: source });
    for (let i = 0; i < 4; i++) expect(await ingest(server, before, 500)).toBe(500);
  }, TIMEOUT);
  afterAll(async () => {
    await server?.stop();
    await second?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }, TIMEOUT);

  test(
    "db:backup writes the archive where --out says while ingest goes on, and the server keeps serving",
    async () => {
      const { result: backup, accepted } = await dbCliDuringIngest(
        server,
        during,
        ["backup", "--out", archive],
        {
          LOGFLOW_DATA_DIR: source,
        },
      );
      duringAccepted = accepted;

      expect(backup.stdout).toContain(archive);
      expect(backup.stdout).toMatch(/paused its queries for \d+ ms/);
      expect(statSync(archive).mode & 0o777).toBe(0o600);
      expect((await fetch(`${server.base}/health`)).status).toBe(200);
      // The copy the server made for the backup is deleted once the backup is written (in the background).
      const snapshots = join(source, "snapshots");
      const left = () => (existsSync(snapshots) ? readdirSync(snapshots) : []);
      for (let i = 0; i < 100 && left().length; i++) await Bun.sleep(50);
      expect(left()).toEqual([]);
    },
    TIMEOUT,
  );

  test(
    "db:restore refuses the data dir of the running server and leaves its data alone",
    async () => {
      const res = await dbCli(["restore", archive, "--yes"], { LOGFLOW_DATA_DIR: source });
      expect(res.code).toBe(1);
      expect(res.stderr).toContain("Refusing to restore over a running LogFlow");
      expect(res.stderr).toContain(`in use by process ${server.pid}`);
      expect(await searchTotal(server, before)).toBe(2000);
    },
    TIMEOUT,
  );

  test(
    "db:restore into a fresh data dir brings back every event acknowledged before the backup, and the signing key",
    async () => {
      const res = await dbCli(["restore", archive], { LOGFLOW_DATA_DIR: restored });
      expect(res.stderr).toBe("");
      expect(res.code).toBe(0);
      expect(res.stdout).toMatch(/Restored .* events, migrations up to \d+/);

      second = await startServer({ LOGFLOW_DATA_DIR: restored });
      expect(await searchTotal(second, before)).toBe(2000);
      // Some of the traffic that went on during the backup is in it; never more than was acknowledged.
      const inBackup = await searchTotal(second, during);
      expect(inBackup).toBeLessThanOrEqual(duringAccepted);
      // The first server's token is accepted: the generated signing key came back with the data.
      expect(await searchTotal(second, before, server.token)).toBe(2000);
    },
    TIMEOUT,
  );

  test(
    "with no server running, db:backup packs the data dir itself and refuses nothing",
    async () => {
      await second?.stop();
      second = undefined;
      const out = join(tmp, "out", "stopped.tar.gz");
      const backup = await dbCli(["backup", "--out", out], { LOGFLOW_DATA_DIR: restored });
      expect(backup.code).toBe(0);
      expect(backup.stdout).not.toContain("paused");
      const again = await dbCli(["restore", out, "--yes"], { LOGFLOW_DATA_DIR: join(tmp, "third") });
      expect(again.code).toBe(0);
      expect(again.stdout).toContain("from a stopped data dir");
    },
    TIMEOUT,
  );
});
