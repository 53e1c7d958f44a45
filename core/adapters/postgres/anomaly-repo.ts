import type { Sql } from "postgres";
import { type Anomaly, type RecordedAnomaly, SEVERITIES, type Severity } from "../../anomaly/schema.ts";
import type { AnomalyCount, AnomalyQuery, AnomalyRepo } from "../../ports/anomalies.ts";

/** low 0 … critical 3. */
export function severityRank(s: Severity): number {
  return SEVERITIES.length - 1 - SEVERITIES.indexOf(s);
}

/** A row as postgres.js returns it: ids may come as strings (bigint), times as Dates. */
type Row = Omit<RecordedAnomaly, "id" | "detected_at" | "recorded_at"> & {
  id: number | string;
  detected_at: Date | string;
  recorded_at: Date | string;
};

const toAnomaly = (r: Row): RecordedAnomaly => ({
  id: Number(r.id),
  detected_at: new Date(r.detected_at).toISOString(),
  metric_name: r.metric_name,
  service: r.service,
  anomaly_type: r.anomaly_type,
  description: r.description,
  score: r.score,
  severity: r.severity,
  actual_value: r.actual_value,
  expected_value: r.expected_value,
  deviation_percent: r.deviation_percent,
  recorded_at: new Date(r.recorded_at).toISOString(),
});

const iso = (ms: number) => new Date(ms).toISOString();

/** The `anomalies` table (db/migrations/0005_anomalies.sql). */
export class PostgresAnomalyRepo implements AnomalyRepo {
  constructor(private readonly sql: Sql) {}

  async record(anomalies: Anomaly[]): Promise<number> {
    if (!anomalies.length) return 0;
    const rows = anomalies.map((a) => ({ ...a, severity_rank: severityRank(a.severity) }));
    const result = await this.sql<{ inserted: boolean }[]>`
      insert into anomalies (detected_at, metric_name, service, anomaly_type, severity, severity_rank, score,
                             description, actual_value, expected_value, deviation_percent)
      select detected_at, metric_name, service, anomaly_type, severity, severity_rank, score, description,
             actual_value, expected_value, deviation_percent
      from jsonb_to_recordset(${this.sql.json(rows as never)}::jsonb) as r(
        detected_at timestamptz, metric_name text, service text, anomaly_type text, severity text,
        severity_rank smallint, score float8, description text, actual_value float8, expected_value float8,
        deviation_percent float8)
      on conflict (metric_name, coalesce(service, ''), detected_at) do update
        set anomaly_type = excluded.anomaly_type, severity = excluded.severity,
            severity_rank = excluded.severity_rank, score = excluded.score, description = excluded.description,
            actual_value = excluded.actual_value, expected_value = excluded.expected_value,
            deviation_percent = excluded.deviation_percent
      returning (xmax = 0) as inserted`;
    return result.filter((r) => r.inserted).length;
  }

  async list(q: AnomalyQuery): Promise<{ anomalies: RecordedAnomaly[]; total: number }> {
    const sql = this.sql;
    const where = [sql`true`];
    if (q.from !== undefined) where.push(sql`and detected_at >= ${iso(q.from)}::timestamptz`);
    if (q.to !== undefined) where.push(sql`and detected_at <= ${iso(q.to)}::timestamptz`);
    if (q.minSeverity) where.push(sql`and severity_rank >= ${severityRank(q.minSeverity)}`);
    if (q.services?.length) where.push(sql`and service = any(${q.services}::text[])`);
    if (q.metric) where.push(sql`and metric_name = ${q.metric}`);
    const [rows, [counted]] = await Promise.all([
      sql<Row[]>`
        select * from anomalies where ${where}
        order by detected_at desc, id desc limit ${q.limit} offset ${q.offset ?? 0}`,
      sql<{ n: number }[]>`select count(*)::int as n from anomalies where ${where}`,
    ]);
    return { anomalies: rows.map(toAnomaly), total: counted?.n ?? 0 };
  }

  async countMany(counts: AnomalyCount[]): Promise<number[]> {
    if (!counts.length) return [];
    const qs = counts.map((c, i) => ({
      i,
      lo: iso(c.from),
      hi: iso(c.to),
      r: severityRank(c.minSeverity),
      s: c.services.length ? c.services : null,
    }));
    const rows = await this.sql<{ i: number; n: number }[]>`
      select q.i, (select count(*)::int from anomalies a
                   where a.detected_at between q.lo and q.hi and a.severity_rank >= q.r
                     and (q.s is null or a.service = any(q.s))) as n
      from jsonb_to_recordset(${this.sql.json(qs as never)}::jsonb)
        as q(i int, lo timestamptz, hi timestamptz, r int, s text[])`;
    const out = new Array<number>(counts.length).fill(0);
    for (const r of rows) out[r.i] = r.n;
    return out;
  }

  async deleteOlderThan(cutoff: number): Promise<number> {
    const result = await this.sql`delete from anomalies where detected_at < ${iso(cutoff)}::timestamptz`;
    return result.count;
  }
}
