import type { Sql } from "postgres";
import type { PatternRecord } from "../../patterns/schema.ts";
import type { PatternRepo, PatternUpdate, SavedMiner } from "../../ports/patterns.ts";
import { storable } from "./log-rows.ts";

type Row = {
  id: string;
  service: string;
  template: string;
  first_seen: Date;
  last_seen: Date;
  count: string | number;
  merged_into: string | null;
};

const toRecord = (r: Row): PatternRecord => ({
  id: r.id,
  service: r.service,
  template: r.template,
  firstSeen: new Date(r.first_seen).getTime(),
  lastSeen: new Date(r.last_seen).getTime(),
  count: Number(r.count),
  mergedInto: r.merged_into,
});

/** The `patterns` and `pattern_miners` tables (db/migrations/0009_patterns.sql). */
export class PostgresPatternRepo implements PatternRepo {
  constructor(private readonly sql: Sql) {}

  async record(updates: PatternUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    // One row per id, in id order: two writers upserting the same rows lock them in one order.
    const byId = new Map<string, PatternUpdate>();
    for (const u of updates) {
      const seen = byId.get(u.id);
      if (!seen) byId.set(u.id, { ...u });
      else {
        seen.count += u.count;
        seen.firstSeen = Math.min(seen.firstSeen, u.firstSeen);
        seen.lastSeen = Math.max(seen.lastSeen, u.lastSeen);
        seen.template = u.template;
      }
    }
    const rows = [...byId.values()]
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((u) => ({
        id: u.id,
        service: storable(u.service),
        template: storable(u.template),
        first_seen: new Date(u.firstSeen).toISOString(),
        last_seen: new Date(u.lastSeen).toISOString(),
        count: u.count,
      }));
    await this.sql`
      insert into patterns (id, service, template, first_seen, last_seen, count)
      select id, service, template, first_seen, last_seen, count
      from jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb)
        as r(id text, service text, template text, first_seen timestamptz, last_seen timestamptz, count bigint)
      on conflict (id) do update set
        template = excluded.template,
        first_seen = least(patterns.first_seen, excluded.first_seen),
        last_seen = greatest(patterns.last_seen, excluded.last_seen),
        count = patterns.count + excluded.count`;
  }

  async merge(aliases: [from: string, to: string][]): Promise<void> {
    if (aliases.length === 0) return;
    const rows = [...aliases].sort(([a], [b]) => (a < b ? -1 : 1)).map(([from, to]) => ({ from, to }));
    const json = JSON.stringify(rows);
    await this.sql.begin(async (tx) => {
      const t = tx as unknown as Sql;
      await t`
        update patterns set merged_into = r."to"
        from jsonb_to_recordset(${json}::text::jsonb) as r("from" text, "to" text)
        where patterns.id = r."from" and patterns.merged_into is distinct from r."to" and r."from" <> r."to"`;
      // The template was seen since the earliest of its ids: a survivor another node named later must
      // not look new (a new-pattern alert) nor younger than it is.
      await t`
        update patterns p set first_seen = least(p.first_seen, m.first_seen),
                              last_seen = greatest(p.last_seen, m.last_seen)
        from (select r."to" as id, min(f.first_seen) as first_seen, max(f.last_seen) as last_seen
              from jsonb_to_recordset(${json}::text::jsonb) as r("from" text, "to" text)
              join patterns f on f.id = r."from"
              group by 1) m
        where p.id = m.id and (p.first_seen > m.first_seen or p.last_seen < m.last_seen)`;
    });
  }

  async get(ids: string[]): Promise<PatternRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.sql<Row[]>`
      select id, service, template, first_seen, last_seen, count, merged_into
      from patterns where id = any(${ids}::text[])`;
    return rows.map(toRecord);
  }

  async firstSeenIn(from: number, to: number, services: string[], limit: number): Promise<PatternRecord[]> {
    const rows = await this.sql<Row[]>`
      select id, service, template, first_seen, last_seen, count, merged_into
      from patterns
      where first_seen between ${new Date(from).toISOString()}::timestamptz
                           and ${new Date(to).toISOString()}::timestamptz
        and merged_into is null
        ${services.length > 0 ? this.sql`and service = any(${services}::text[])` : this.sql``}
      order by first_seen, id
      limit ${limit}`;
    return rows.map(toRecord);
  }

  async unalerted(ruleId: number, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.sql<{ id: string }[]>`
      select id from unnest(${ids}::text[]) as i(id)
      where not exists (select 1 from alerted_patterns a where a.rule_id = ${ruleId} and a.pattern_id = i.id)`;
    return rows.map((r) => r.id);
  }

  async markAlerted(ruleId: number, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.sql`
      insert into alerted_patterns (rule_id, pattern_id)
      select ${ruleId}, id from unnest(${ids}::text[]) as i(id)
      on conflict do nothing`;
  }

  async deleteOlderThan(cutoff: number): Promise<number> {
    const at = new Date(cutoff).toISOString();
    let removed = 0;
    // Slices of 10,000 rows, one short transaction each (as the log retention does).
    for (;;) {
      const rows = await this.sql`
        delete from patterns where id in (
          select id from patterns where last_seen < ${at}::timestamptz limit 10000)
        returning id`;
      removed += rows.length;
      if (rows.length < 10_000) break;
    }
    await this.sql`delete from alerted_patterns where alerted_at < ${at}::timestamptz`;
    await this.sql`delete from pattern_miners where updated_at < ${at}::timestamptz`;
    return removed;
  }

  async saveMiner(service: string, node: string, snapshot: unknown): Promise<void> {
    await this.sql`
      insert into pattern_miners (service, node, snapshot, updated_at)
      values (${storable(service)}, ${node}, ${JSON.stringify(snapshot)}::text::jsonb, clock_timestamp())
      on conflict (service, node) do update set snapshot = excluded.snapshot, updated_at = excluded.updated_at`;
  }

  async miners(q: { service: string } | { since: number; exceptNode: string }): Promise<SavedMiner[]> {
    type MinerRow = { service: string; node: string; snapshot: unknown; updated_at: Date };
    const rows =
      "service" in q
        ? await this.sql<MinerRow[]>`
            select service, node, snapshot, updated_at from pattern_miners
            where service = ${q.service} order by node`
        : await this.sql<MinerRow[]>`
            select service, node, snapshot, updated_at from pattern_miners
            where updated_at > ${new Date(Math.max(0, q.since)).toISOString()}::timestamptz
              and node <> ${q.exceptNode}
            order by service, node`;
    return rows.map((r) => ({
      service: r.service,
      node: r.node,
      snapshot: r.snapshot,
      updatedAt: new Date(r.updated_at).getTime(),
    }));
  }
}
