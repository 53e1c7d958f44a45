import type { Sql } from "postgres";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Arbitrary constant: the advisory lock that serialises concurrent start-ups' migrations (and that a
 * restore holds, so that a LogFlow starting meanwhile waits for it instead of migrating a half-empty
 * database).
 */
export const MIGRATION_LOCK = 7_164_029_311;

/**
 * Apply pending migrations, each once, in version order. All of them run in one transaction holding an
 * advisory lock, so concurrent start-ups wait for each other instead of racing, and a failed migration
 * leaves the schema as it was.
 */
export async function migrate(sql: Sql, migrations: Migration[]): Promise<number[]> {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`create table if not exists schema_migrations (
      version integer primary key,
      name text not null,
      applied_at timestamptz not null default now()
    )`;
    const rows = await tx<{ version: number }[]>`select version from schema_migrations`;
    const done = new Set(rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of sorted) {
      if (done.has(m.version)) continue;
      await tx.unsafe(m.sql);
      await tx`insert into schema_migrations (version, name) values (${m.version}, ${m.name})`;
      applied.push(m.version);
    }
    return applied;
  });
}
