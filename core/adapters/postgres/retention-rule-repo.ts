import type { Sql } from "postgres";
import type { RetentionRuleRepo } from "../../ports/retention-rules.ts";
import { bySpecificity } from "../../retention/rules.ts";
import type { RetentionRule } from "../../retention/schema.ts";

interface Row {
  pattern: string;
  days: number;
  created_by: string;
  created_at: Date;
  updated_by: string;
  updated_at: Date;
  last_run_at: Date | null;
  last_removed: string | number | bigint | null;
}

const iso = (d: Date | string) => new Date(d).toISOString();

function toRule(r: Row): RetentionRule {
  return {
    pattern: r.pattern,
    days: Number(r.days),
    created_by: r.created_by,
    created_at: iso(r.created_at),
    updated_by: r.updated_by,
    updated_at: iso(r.updated_at),
    last_run: r.last_run_at ? { at: iso(r.last_run_at), removed: Number(r.last_removed ?? 0) } : null,
  };
}

/** RetentionRuleRepo over `retention_rules` (migration 13). */
export class PostgresRetentionRuleRepo implements RetentionRuleRepo {
  constructor(private readonly sql: Sql) {}

  async list(): Promise<RetentionRule[]> {
    const rows = await this.sql<Row[]>`select * from retention_rules`;
    return rows.map(toRule).sort((a, b) => bySpecificity(a.pattern, b.pattern));
  }

  async put(pattern: string, days: number, by: string): Promise<RetentionRule> {
    const [row] = await this.sql<Row[]>`
      insert into retention_rules (pattern, days, created_by, updated_by)
      values (${pattern}, ${days}, ${by}, ${by})
      on conflict (pattern) do update set days = excluded.days, updated_by = excluded.updated_by, updated_at = now()
      returning *`;
    if (!row) throw new Error("retention rule upsert returned no row");
    return toRule(row);
  }

  async delete(pattern: string): Promise<boolean> {
    const done = await this.sql`delete from retention_rules where pattern = ${pattern}`;
    return done.count > 0;
  }

  async recordRun(at: number, removed: Map<string, number>): Promise<void> {
    const when = new Date(at).toISOString();
    for (const [pattern, n] of removed) {
      await this.sql`
        update retention_rules set last_run_at = ${when}::timestamptz, last_removed = ${n}
        where pattern = ${pattern}`;
    }
  }
}
