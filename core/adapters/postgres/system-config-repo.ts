import type { Sql } from "postgres";
import type { SystemConfigRepo } from "../../ports/system-config.ts";

/** SystemConfigRepo over the `system_config` table (migration 1). */
export class PostgresSystemConfigRepo implements SystemConfigRepo {
  constructor(private readonly sql: Sql) {}

  async get<T>(key: string): Promise<T | null> {
    const [row] = await this.sql<{ value: T }[]>`select value from system_config where key = ${key}`;
    return row ? row.value : null;
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.sql`
      insert into system_config (key, value, updated_at) values (${key}, ${this.sql.json(value as never)}, now())
      on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at`;
  }
}
