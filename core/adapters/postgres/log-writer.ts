import type { Fragment, Sql } from "postgres";
import { eventLoopSlicer } from "../../event-loop.ts";
import { eventTimeOf, formatEventTime, idsOf, type LogEvent } from "../../log-event.ts";
import type { WriteResult } from "../../ports/log-store.ts";
import { tsvectorText } from "../../search-text.ts";
import { checkTimes, iso } from "../log-store-common.ts";
import { copyChunks } from "./copy-text.ts";
import { type StoredRow, storableRow, UNSTORABLE_ESCAPE } from "./log-rows.ts";
import { addMinuteCounts, minuteCountsJson, minuteOfTs, summedMinuteCounts } from "./minute-counts.ts";
import type { LogPartitions } from "./partitions.ts";

/** How the writer sizes its statements; see PostgresLogStoreOptions for each. */
export interface WriterLimits {
  statementChars: number;
  maxStatementChars: number;
  copyFromRows: number;
}

/** Postgres's "no partition of relation found for row": a day this process thought existed was dropped. */
const NO_PARTITION = "23514";
/** deadlock_detected: the statement was rolled back whole and may simply run again. */
const DEADLOCK = "40P01";
/** unique_violation: a COPY met an event already stored (the insert skips those). */
const UNIQUE_VIOLATION = "23505";
/** Rows in a write's first statement, before the rows' own size sets the rest (~60 KB of usual rows). */
const FIRST_SLICE_ROWS = 100;
/** Most characters of JSON written in one stringify (a few milliseconds of the event loop). */
const PIECE_CHARS = 256 * 1024;

/**
 * The store's write path. A batch is stored whole or not at all, together with its per-minute counts
 * (log_minutes), in one transaction; an event already stored is skipped and counted as a duplicate.
 * Big batches go through `COPY`, the rest (and PGlite, and a batch `COPY` refused for a duplicate)
 * through an insert of JSON rows that skips stored events.
 */
export class LogWriter {
  constructor(
    private readonly sql: Sql,
    private readonly partitions: LogPartitions,
    private readonly limits: WriterLimits,
  ) {}

  async write(events: LogEvent[]): Promise<WriteResult> {
    const { rows, times } = await storedBatch(events);
    const n = rows.length;
    if (n === 0) return { written: 0, duplicates: events.length };
    await this.partitions.ensureFor(times);
    let copying = n >= this.limits.copyFromRows;
    let repartitioned = false;
    let deadlocks = 0;
    let written: number;
    for (;;) {
      try {
        written = copying ? await this.copy(rows, times) : await this.insert(rows);
        break;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === UNIQUE_VIOLATION && copying) {
          // Some of the batch is stored already (a replay, or another writer's copy of it): nothing of
          // this attempt is, and the insert skips what is.
          copying = false;
        } else if (code === NO_PARTITION && !repartitioned) {
          // Another process's retention dropped a day we had cached: re-check and try once more.
          repartitioned = true;
          this.partitions.forget();
          await this.partitions.ensureFor(times);
        } else if (code !== DEADLOCK || ++deadlocks >= 3) {
          throw err;
        }
        // A deadlock rolled the whole write back (nothing of it is stored): run it again.
      }
    }
    return { written, duplicates: events.length - written };
  }

  /**
   * The rows go as JSON texts of ~statementChars that Postgres takes apart with jsonb_to_recordset: one
   * native JSON.stringify per part instead of twelve array parameters escaped and copied by the driver
   * (README, "Where the indexer's time goes"). The rows really inserted are added to the per-minute
   * counts in the same transaction, so both commit or neither does.
   */
  private async insert(rows: StoredRow[]): Promise<number> {
    const sql = this.sql;
    const parts = await this.jsonParts(rows);
    if (parts.length === 1) {
      const [row] = await sql<{ written: number }[]>`
        with ins as (${insertRows(sql, parts[0] as string)}),
        counts as (select ${minuteOfTs(sql)} as minute, service, level, count(*)::int as n from ins group by 1, 2, 3),
        added as (${addMinuteCounts(sql, sql`counts`)})
        select count(*)::int as written from ins`;
      return row?.written ?? 0;
    }
    // Several parts, one transaction: the batch is stored whole or not at all, as with one. The parts
    // are sent together (pipelined) and each answers its counts; one last statement adds them all, in
    // key order (part by part, two batches sharing a minute could take its rows in opposite orders).
    return await sql.begin(async (tx) => {
      const t = tx as unknown as Sql;
      type Count = { minute: Date; service: string; level: string; n: number };
      // All parts sent at once, keeping the transaction short (not a few at a time with pauses between):
      // the driver sends the next when the one before has answered, each built in its own turn.
      const answers = await Promise.all(
        parts.map(
          (part) => t<Count[]>`
          with ins as (${insertRows(t, part)})
          select ${minuteOfTs(t)} as minute, service, level, count(*)::int as n from ins group by 1, 2, 3`,
        ),
      );
      const counts = answers.flat();
      // A minute two parts share comes back twice.
      if (counts.length > 0) await addMinuteCounts(t, summedMinuteCounts(t, JSON.stringify(counts)));
      return counts.reduce((written, c) => written + c.n, 0);
    });
  }

  /** COPY stores every row or fails, so the counts are the batch's own, worked out here. */
  private async copy(rows: StoredRow[], times: number[]): Promise<number> {
    const chunks = copyChunks(rows);
    const counts = minuteCountsJson(rows, times);
    await this.sql.begin(async (tx) => {
      const t = tx as unknown as Sql;
      // The columns in copy-text.ts's order.
      const stream = await t`
        copy logs (id, ts, received_at, service, level, message, host, correlation_id, request_id, trace_id,
                   span_id, attributes, pattern, search) from stdin`.writable();
      await new Promise<void>((resolve, reject) => {
        stream.on("error", reject);
        stream.on("finish", resolve);
        for (const chunk of chunks) stream.write(chunk);
        stream.end();
      });
      await addMinuteCounts(t, summedMinuteCounts(t, counts));
    });
    return rows.length;
  }

  /**
   * The rows as JSON arrays of about statementChars each. They are written a piece at a time (one
   * stringify per piece of at most PIECE_CHARS, each piece sized from the rows before it), giving way
   * to other requests between pieces: a 4 MiB statement in one JSON.stringify held the event loop for
   * tens of milliseconds, and a 10 MB batch's pieces for hundreds. A piece that still passes
   * maxStatementChars is split row by row. JSON.stringify writes what Postgres text cannot hold
   * (U+0000, half a surrogate pair) as \u escapes that Postgres refuses; where one may be, the piece
   * is written again with them replaced, so the rest of the event and of its batch is kept.
   */
  private async jsonParts(rows: StoredRow[]): Promise<string[]> {
    const { statementChars, maxStatementChars } = this.limits;
    const partChars = Math.min(statementChars, maxStatementChars);
    const pieceChars = Math.min(partChars, PIECE_CHARS);
    const parts: string[] = [];
    // The current part: its pieces without their brackets, joined once it is full.
    let pieces: string[] = [];
    let size = 0;
    const close = () => {
      if (pieces.length > 0) parts.push(`[${pieces.join(",")}]`);
      pieces = [];
      size = 0;
    };
    const breathe = eventLoopSlicer();
    let take = FIRST_SLICE_ROWS;
    for (let i = 0; i < rows.length; ) {
      await breathe();
      const slice = i === 0 && take >= rows.length ? rows : rows.slice(i, i + take);
      let json = JSON.stringify(slice);
      if (UNSTORABLE_ESCAPE.test(json)) json = JSON.stringify(slice.map(storableRow));
      i += slice.length;
      take = Math.max(1, Math.floor((pieceChars * slice.length) / json.length));
      if (json.length > maxStatementChars) {
        close();
        parts.push(...this.splitJson(slice));
        continue;
      }
      // A piece's brackets go; the part gets its own, and a comma between pieces.
      if (pieces.length > 0 && size + json.length > partChars) close();
      pieces.push(json.slice(1, -1));
      size += json.length - 1;
    }
    close();
    return parts;
  }

  /** The rows as JSON arrays of at most maxStatementChars each (a row longer than that goes alone). */
  private splitJson(rows: StoredRow[]): string[] {
    const parts: string[] = [];
    let chunk: string[] = [];
    let size = 2;
    for (const row of rows) {
      let text = JSON.stringify(row);
      if (UNSTORABLE_ESCAPE.test(text)) text = JSON.stringify(storableRow(row));
      if (chunk.length && size + text.length + 1 > this.limits.maxStatementChars) {
        parts.push(`[${chunk.join(",")}]`);
        chunk = [];
        size = 2;
      }
      chunk.push(text);
      size += text.length + 1;
    }
    if (chunk.length) parts.push(`[${chunk.join(",")}]`);
    return parts;
  }
}

/**
 * The events as rows to store, with their times: each id once (the same id twice in one batch is a
 * replay inside the batch: the first is kept, the rest count as duplicates), in one global order (ts,
 * id). Two writers whose batches overlap (a replay racing the original) then wait on each other's rows
 * in the same order, never in a cycle; in arrival order they deadlocked.
 */
async function storedBatch(events: LogEvent[]): Promise<{ rows: StoredRow[]; times: number[] }> {
  const unique = new Map<string, LogEvent>();
  for (const e of events) {
    const key = e.id.toLowerCase();
    if (!unique.has(key)) unique.set(key, e);
  }
  const ordered = [...unique.entries()]
    .map(([key, e]) => ({ e, key, ts: eventTimeOf(e.timestamp) }))
    .sort((a, b) => a.ts - b.ts || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const n = ordered.length;
  const times: number[] = new Array(n);
  const rows: StoredRow[] = new Array(n);
  let i = 0;
  // The search words of 10,000 events take a while: other requests get their turns meanwhile.
  const breathe = eventLoopSlicer();
  for (const { e, ts } of ordered) {
    await breathe();
    const received = Date.parse(e.received_at);
    checkTimes(e, ts, received);
    // The millisecond, for the day partitions and the per-minute counts.
    times[i] = Math.floor(ts);
    rows[i++] = {
      id: e.id,
      // To the microsecond, as ingest parsed it; the cursor carries it, get(id) looks in the id's millisecond.
      ts: formatEventTime(ts),
      received_at: iso(received),
      service: e.service,
      level: e.level,
      message: e.message,
      ...idsOf(e),
      attributes: e.attributes ?? {},
      pattern: e.pattern ?? null,
      search: tsvectorText(e.service, e.message),
    };
  }
  return { rows, times };
}

/**
 * One statement and one parameter per part: one plan, no parameter limit. `on conflict do nothing`
 * makes replays (the indexer's at-least-once) no-ops; rows are inserted in the order of the array.
 */
function insertRows(sql: Sql, json: string): Fragment {
  return sql`
    insert into logs (id, ts, received_at, service, level, message, host, correlation_id, request_id,
                      trace_id, span_id, attributes, pattern, search)
    select id, ts, received_at, service, level, message, host, correlation_id, request_id, trace_id,
           span_id, attributes, pattern, search
    from jsonb_to_recordset(${json}::text::jsonb)
      as t(id uuid, ts timestamptz, received_at timestamptz, service text, level text, message text,
           host text, correlation_id text, request_id text, trace_id text, span_id text, attributes jsonb,
           pattern text, search tsvector)
    on conflict do nothing
    returning ts, service, level`;
}
