import { afterAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Sql } from "postgres";
import { openEmbeddedDatabase } from "../core/adapters/pglite/open.ts";
import { connectPostgres } from "../core/adapters/postgres/connect.ts";
import { PostgresLogStore } from "../core/adapters/postgres/log-store.ts";
import { migrate } from "../core/adapters/postgres/migrate.ts";
import { tsvectorText } from "../core/search-text.ts";
import { MIGRATIONS } from "../db/migrations/index.ts";
import { dbCli } from "./helpers/db-cli.ts";
import { freshPostgresDatabase, postgresReachable } from "./helpers/engines.ts";
import { loghubDir } from "./helpers/loghub.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";

integrationTimeouts();

const available = await postgresReachable();
const LOGHUB = loghubDir();
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe.skipIf(!available)("migrations on a Postgres 15 server", () => {
  test("five processes starting at once apply each migration exactly once", async () => {
    const db = await freshPostgresDatabase();
    cleanups.push(db.drop);
    const clients = Array.from({ length: 5 }, () => connectPostgres(db.url, { max: 1 }));
    try {
      const applied = await Promise.all(clients.map((sql) => migrate(sql, MIGRATIONS)));
      // Exactly one start-up applied the migrations; the others found them done.
      expect(applied.filter((a) => a.length > 0)).toEqual([MIGRATIONS.map((m) => m.version)]);
      const rows = await clients[0]!`select version from schema_migrations order by version`;
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      expect(await migrate(clients[0]!, MIGRATIONS)).toEqual([]);
    } finally {
      await Promise.all(clients.map((sql) => sql.end()));
    }
  });

  test("a failing migration leaves the schema as it was", async () => {
    const db = await freshPostgresDatabase();
    cleanups.push(db.drop);
    const sql = connectPostgres(db.url, { max: 1 });
    try {
      const broken = [
        ...MIGRATIONS,
        { version: 999, name: "broken", sql: "create table t999 (x int); select 1/0;" },
      ];
      await expect(migrate(sql, broken)).rejects.toThrow();
      const [row] =
        await sql`select to_regclass('public.users') as users, to_regclass('public.t999') as t999`;
      expect(row).toEqual({ users: null, t999: null });
      expect(await migrate(sql, MIGRATIONS)).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      await sql.end();
    }
  });

  // Two rewrites of ~5,000 rows: seconds, more on a busy machine.
  test.skipIf(LOGHUB === null)(
    "migrations 6 and 7 give the events stored before them the words the store now writes",
    async () => {
      const db = await freshPostgresDatabase();
      cleanups.push(db.drop);
      const sql = connectPostgres(db.url, { max: 1 });
      try {
        await checkSearchWordsMigration(sql);
      } finally {
        await sql.end();
      }
    },
    90_000,
  );
});

describe("migrations on PGlite", () => {
  test.skipIf(LOGHUB === null)(
    "migrations 6 and 7 give the events stored before them the words the store now writes",
    async () => {
      const db = await openEmbeddedDatabase("memory://");
      try {
        await checkSearchWordsMigration(db.sql);
      } finally {
        await db.close();
      }
    },
    180_000,
  );
});

describe("migration 10 (usernames without regard to case, token versions)", () => {
  test("an install with Admin and admin keeps the older name and renames the newer; then no second can be made", async () => {
    const db = await openEmbeddedDatabase("memory://");
    try {
      const sql = db.sql;
      await migrate(
        sql,
        MIGRATIONS.filter((m) => m.version < 10),
      );
      await sql`insert into users (username, email, hashed_password) values
        ('admin', 'a@x.io', 'h'), ('Admin', 'b@x.io', 'h'), ('bob', 'c@x.io', 'h')`;
      expect(await migrate(sql, MIGRATIONS)).toEqual(
        MIGRATIONS.filter((m) => m.version >= 10).map((m) => m.version),
      );
      const rows = await sql<{ id: number; username: string; token_version: number }[]>`
        select id::int, username, token_version from users order by id`;
      const second = rows[1]!;
      expect(rows.map((r) => r.username)).toEqual(["admin", `Admin-${second.id}`, "bob"]);
      expect(rows.every((r) => r.token_version === 0)).toBe(true);
      await expect(
        sql`insert into users (username, email, hashed_password) values ('BOB', 'd@x.io', 'h')`,
      ).rejects.toThrow(/users_username_lower_key/);
    } finally {
      await db.close();
    }
  }, 60_000);
});

/** Stores events with migrations 1–5, then runs the later ones and compares each row's words with the store's. */
async function checkSearchWordsMigration(sql: Sql): Promise<void> {
  // Real lines of the 16 LogHub systems (paths, IPs with ports, block ids, brackets, key=value), and
  // text in other scripts, stored while to_tsvector still made the column.
  const loghub = LOGHUB as string;
  const messages = [
    "Café—RÉSUMÉ «日本語» naïve ١٢٣ Ωmega straße ภาษาไทย العَرَبِيَّة हिन्दी x\u0301y “q” €5 →a ①② ✓ok 🔥x\u00a0y",
    `${"a".repeat(2046)} ${"b".repeat(2047)} ${"é".repeat(1024)} after 4e8d 9e2d`,
    "tab\tand\nnewline, quotes ' \" and back\\slash; 1e5 0x1F v1.2.3 3.25s -12 +7 ~x",
    "GET /api/v1/users/u_56441/profile?x=1&y=2#top <b>bold</b> &amp; bob@example.com https://h.io/p",
  ];
  // One folder per system; a clone of the LogHub repository also has README.md, CITATION, LICENSE, .git.
  const systems = readdirSync(loghub, { withFileTypes: true }).filter(
    (d) => d.isDirectory() && !d.name.startsWith("."),
  );
  for (const system of systems.map((d) => d.name).sort()) {
    const text = readFileSync(resolve(loghub, system, `${system}_2k.log`), "utf8");
    messages.push(...text.split("\n").filter(Boolean).slice(0, 300));
  }
  expect(messages.length).toBeGreaterThan(16 * 300);

  await migrate(
    sql,
    MIGRATIONS.filter((m) => m.version < 6),
  );
  await sql`create table logs_old partition of logs for values from ('2026-01-01') to ('2026-01-02')`;
  await sql`insert into logs (id, ts, received_at, service, level, message)
      select gen_random_uuid(), '2026-01-01T12:00:00Z', now(), 'svc-' || (i % 3), 'INFO', m
      from unnest(${messages}::text[]) with ordinality as t(m, i)`;
  // The column as to_tsvector made it: a path is one token, so 56441 is not a word of it.
  const [before] = await sql`select count(*)::int as n from logs where search @@ '56441'::tsquery`;
  expect(before?.n).toBe(0);

  expect(await migrate(sql, MIGRATIONS)).toEqual(
    MIGRATIONS.filter((m) => m.version >= 6).map((m) => m.version),
  );
  const rows = await sql<{ id: string; service: string; message: string }[]>`
      select id, service, message from logs`;
  expect(rows.length).toBe(messages.length);
  // Each row's words, as the migration made them, are the ones the store writes for it now.
  const differ = await sql<{ message: string; search: string; written: string }[]>`
      select l.message, l.search::text as search, w.written::tsvector::text as written from logs l
      join unnest(${rows.map((r) => r.id)}::uuid[], ${rows.map((r) => tsvectorText(r.service, r.message))}::text[])
        as w(id, written) on w.id = l.id
      where l.search is distinct from w.written::tsvector`;
  expect([...differ]).toEqual([]);
  const found = await new PostgresLogStore(sql).search({ text: "u_56441", limit: 10 });
  expect(found.logs.map((e) => e.message)).toEqual(messages.filter((m) => m.startsWith("GET /api")));
}

describe.skipIf(!available)("bun run db:migrate", () => {
  const migrateCli = async (url: string) => {
    const { code, stdout, stderr } = await dbCli(["migrate"], {
      DATABASE_URL: url,
      BCRYPT_ROUNDS: "4",
      ADMIN_PASSWORD: "",
    });
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    return stdout;
  };

  test("leaves a database the edge runtimes can log in to: the admin account is there, made once", async () => {
    const db = await freshPostgresDatabase();
    cleanups.push(db.drop);
    const first = await migrateCli(db.url);
    expect(first).toContain('Created the admin account "admin" (password admin123)');
    expect(await migrateCli(db.url)).not.toContain("Created");
    const sql = connectPostgres(db.url, { max: 1 });
    try {
      const rows = await sql<{ username: string; is_admin: boolean; hashed_password: string }[]>`
        select username, is_admin, hashed_password from users`;
      expect(rows.map((r) => [r.username, r.is_admin])).toEqual([["admin", true]]);
      expect(await Bun.password.verify("admin123", rows[0]!.hashed_password)).toBe(true);
    } finally {
      await sql.end();
    }
  });
});
