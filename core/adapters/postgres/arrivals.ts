import type { Fragment, Sql } from "postgres";
import type { Arrival, ArrivalPage, ArrivalPosition, LogArrivals } from "../../ports/log-arrivals.ts";
import { InvalidCursorError } from "../../ports/log-store.ts";
import { type LogRow, logColumns, toEvent } from "./log-rows.ts";

/**
 * A position: the id of a storing transaction (`arrival`, db/migrations/0011_arrival_order.sql) as 16
 * hex digits, alone for "before every row of that transaction", or with the event's id (32 hex digits)
 * for "just after that event". Fixed widths make string order the order of (arrival, id).
 */
const POSITION = /^([0-9a-f]{16})(?:\.([0-9a-f]{32}))?$/;

interface Decoded {
  tx: string;
  id: string | null;
}

function decode(position: ArrivalPosition): Decoded {
  const m = POSITION.exec(position);
  if (!m) throw new InvalidCursorError("not a tail position this server issued");
  const hex = m[2];
  const id = hex
    ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
    : null;
  return { tx: BigInt(`0x${m[1]}`).toString(), id };
}

function txPosition(tx: string): ArrivalPosition {
  return BigInt(tx).toString(16).padStart(16, "0");
}

function eventPosition(tx: string, id: string): ArrivalPosition {
  return `${txPosition(tx)}.${id.replaceAll("-", "").toLowerCase()}`;
}

/** Rows strictly after `p`. A position without an id comes before every row of its transaction. */
function afterSql(sql: Sql, p: Decoded): Fragment {
  return p.id === null
    ? sql`arrival >= ${p.tx}::xid8`
    : sql`arrival >= ${p.tx}::xid8 and (arrival, id) > (${p.tx}::xid8, ${p.id}::uuid)`;
}

/** Rows at or before `p`. */
function untilSql(sql: Sql, p: Decoded): Fragment {
  return p.id === null ? sql`arrival < ${p.tx}::xid8` : sql`(arrival, id) <= (${p.tx}::xid8, ${p.id}::uuid)`;
}

type ArrivalRow = LogRow & { mark: string; tx: string | null };

/**
 * The Postgres store's arrival order: the storing transaction's id, then the event's id. A read stops
 * below the oldest transaction still running anywhere on the server (`pg_snapshot_xmin` of the
 * statement's own snapshot): every transaction below it has committed or rolled back, so nothing can
 * still appear behind the end a read reaches. The cost of that guarantee is that a write transaction
 * left open holds the tail back until it ends (LogFlow's own writes take milliseconds).
 */
export class PostgresArrivals implements LogArrivals {
  constructor(private readonly sql: Sql) {}

  async head(): Promise<ArrivalPosition> {
    const [row] = await this.sql<{ mark: string }[]>`
      select pg_snapshot_xmin(pg_current_snapshot())::text as mark`;
    return txPosition(row!.mark);
  }

  parse(text: string): ArrivalPosition {
    decode(text);
    return text;
  }

  async read(after: ArrivalPosition, opts: { limit: number; until?: ArrivalPosition }): Promise<ArrivalPage> {
    const sql = this.sql;
    const from = decode(after);
    const until = opts.until === undefined ? null : decode(opts.until);
    const limit = Math.max(1, Math.trunc(opts.limit));
    // The mark and the rows come from one statement, so from one snapshot: the rows below the mark are
    // all there is below it.
    const rows = await sql<ArrivalRow[]>`
      with m as (select pg_snapshot_xmin(pg_current_snapshot()) as mark)
      select m.mark::text as mark, l.*
      from m left join lateral (
        select arrival::text as tx, ${logColumns(sql)}
        from logs
        where ${afterSql(sql, from)} and arrival < m.mark ${until ? sql`and ${untilSql(sql, until)}` : sql``}
        order by arrival, id
        limit ${limit}
      ) l on true`;
    const arrivals: Arrival[] = [];
    for (const r of rows) {
      if (r.tx === null) continue;
      arrivals.push({ event: toEvent(r), position: eventPosition(r.tx, r.id) });
    }
    const reachedEnd = arrivals.length < limit;
    let next: ArrivalPosition;
    if (!reachedEnd) next = arrivals[arrivals.length - 1]!.position;
    else {
      const mark = txPosition(rows[0]!.mark);
      const bound = opts.until !== undefined && opts.until < mark ? opts.until : mark;
      // Never back: a position from a reader further on (another replica's) stays where it is.
      next = bound > after ? bound : after;
    }
    return { arrivals, next, reachedEnd };
  }
}
