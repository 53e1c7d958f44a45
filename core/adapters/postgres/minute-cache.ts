import type { Fragment, Sql } from "postgres";
import type { Field } from "../../query/ast.ts";
import { attributeNumberSql, valueText } from "../../query/postgres.ts";
import { asTemplate, joinSql, sql as q, type SqlFragment, sqlConstant } from "../../query/sql.ts";
import { iso } from "../log-store-common.ts";
import { textMatch } from "./filter-sql.ts";
import { MINUTE_MS, minuteOfTs } from "./minute-counts.ts";

/**
 * The alert tick's cache of matching events by minute, in the evaluating process.
 *
 * An alert tick asks the same questions every 60 s over windows that moved by a minute: a day's window
 * is 1,439 minutes it read last tick and one new one. This keeps, per *shape* (a query's text, the
 * fields it groups by, the attributes it takes a function of), each minute's matching events as
 * columns: per (service, level, group values) cell, their times as microseconds into the minute, in
 * order, and each attribute's number (NaN where the event has none: attributeNumberSql never yields
 * NaN, its pattern and JSON numbers admit none). A window's answer is then worked out here from whole
 * minutes plus, at either end, the events of a cut minute found by binary search: exact, both ends at
 * microseconds, percentiles from the values themselves.
 *
 * Exact with late events: each tick first reads every window minute's total from log_minutes (added to
 * in the transaction that stores the events), and a cached minute whose total differs is read again.
 * That total is read *before* the events, so a commit between the two leaves a minute that is newer
 * than its total, read again next tick, never an older one kept. A minute's total changes whenever its
 * events do (they are only added, or removed by retention, which counts log_minutes again), so a stale
 * minute cannot pass for current; the one blind spot would be as many events removed as added in the
 * same minute between two ticks, which retention (whole old minutes) does not do. The cache is as
 * fresh as log_minutes, which the tick's other counts already read.
 *
 * Memory: 4 bytes an event for its time and 8 per attribute, per shape, plus each cell's few fields;
 * at most `maxBytes` (LRU shapes dropped beyond it), minutes older than a shape's widest window behind
 * its newest are dropped, and a shape unused for an hour goes.
 */

/** Widest window (minutes) answered from the cache: alert windows are at most a day. */
export const MAX_CACHED_MINUTES = 1440;
const US_PER_MINUTE = 60_000_000;
/** A shape not asked for in this long is dropped. */
const IDLE_MS = 3_600_000;
/** Bytes counted per cell besides its events (object, strings, group array), an estimate. */
const CELL_BYTES = 160;
/** Minutes to read at most for the text to be matched on the time range's rows, not via the index. */
const SCAN_TEXT_MINUTES = 10;

/** What one cached read is keyed by. */
export interface ShapeSpec {
  text: string | null;
  by: Field[];
  attributes: string[];
}

/** One (service, level, group) of a minute: events [start, end) of the minute's columns. */
export interface Cell {
  service: string;
  level: string;
  group: (string | null)[];
  /** The group as a map key. */
  key: string;
  start: number;
  end: number;
}

export interface Minute {
  /** log_minutes' total for the minute when it was read. */
  fp: number;
  cells: Cell[];
  /** Microseconds into the minute, ascending within each cell. */
  offs: Int32Array;
  /** Per attribute of the shape, aligned with offs; NaN for none. */
  vals: Float64Array[];
  bytes: number;
}

interface Shape {
  spec: ShapeSpec;
  minutes: Map<number, Minute>;
  bytes: number;
  used: number;
  newest: number;
}

/** A shape's minutes [lo, hi] (minute starts, epoch ms) one call needs. */
export interface Want {
  spec: ShapeSpec;
  lo: number;
  hi: number;
}

/** The minutes a call reads from, by minute start; every minute of its want is present. */
export type View = Map<number, Minute>;

type CellRow = {
  s: number;
  m: number;
  service: string;
  level: string;
  g: (string | null)[];
  o: number[];
  [a: `a${number}`]: (number | null)[] | null;
};

export const shapeKey = (s: ShapeSpec) =>
  JSON.stringify([s.text, s.by.map((f) => [f.kind, f.name]), s.attributes]);

export const minuteOf = (ms: number) => Math.floor(ms / MINUTE_MS) * MINUTE_MS;

export class MinuteCache {
  private readonly shapes = new Map<string, Shape>();
  private bytes = 0;
  private pending: { lo: number; hi: number; read: Promise<Map<number, number>> } | null = null;

  constructor(private readonly maxBytes: number) {}

  /** Bytes held (the estimate the bound is applied to). */
  get size(): number {
    return this.bytes;
  }

  /**
   * The minutes of each want, read from the database where not cached or changed since: one read of
   * log_minutes' totals, then one statement per `parallelism` slice of the shapes with minutes to read.
   */
  async views(sql: Sql, wants: Want[], parallelism: number, now = Date.now()): Promise<View[]> {
    if (wants.length === 0) return [];
    const lo = Math.min(...wants.map((w) => w.lo));
    const hi = Math.max(...wants.map((w) => w.hi));
    const totals = await this.totals(sql, lo, hi);
    // Synchronously from here to the reads: each view holds the minutes found current, whatever
    // another call drops from the cache meanwhile.
    const byKey = new Map<string, { shape: Shape; lo: number; hi: number; view: View; need: number[] }>();
    for (const w of wants) {
      const key = shapeKey(w.spec);
      const got = byKey.get(key);
      if (got) {
        got.lo = Math.min(got.lo, w.lo);
        got.hi = Math.max(got.hi, w.hi);
        continue;
      }
      let shape = this.shapes.get(key);
      if (!shape) {
        shape = { spec: w.spec, minutes: new Map(), bytes: 0, used: now, newest: w.hi };
        this.shapes.set(key, shape);
      }
      byKey.set(key, { shape, lo: w.lo, hi: w.hi, view: new Map(), need: [] });
    }
    for (const entry of byKey.values()) {
      const { shape } = entry;
      // Map order is the LRU order: re-inserted on use.
      this.shapes.delete(shapeKey(shape.spec));
      this.shapes.set(shapeKey(shape.spec), shape);
      shape.used = now;
      shape.newest = Math.max(shape.newest, entry.hi);
      for (let m = entry.lo; m <= entry.hi; m += MINUTE_MS) {
        const cached = shape.minutes.get(m);
        if (cached && cached.fp === (totals.get(m) ?? 0)) entry.view.set(m, cached);
        else entry.need.push(m);
      }
    }
    const reads = [...byKey.values()].filter((e) => e.need.length > 0);
    const slices = Array.from({ length: Math.max(1, Math.min(parallelism, reads.length)) }, () => ({
      cost: 0,
      reads: [] as typeof reads,
    }));
    for (const r of [...reads].sort((a, b) => b.need.length - a.need.length)) {
      const slice = slices.reduce((a, b) => (b.cost < a.cost ? b : a));
      slice.reads.push(r);
      slice.cost += r.need.length;
    }
    const width = Math.max(0, ...reads.map((r) => r.shape.spec.attributes.length));
    const answers = await Promise.all(
      slices
        .filter((s) => s.reads.length > 0)
        .map((s) => {
          const union = s.reads
            .map((r) => cellsSql(sql, reads.indexOf(r), r.shape.spec, r.need, width))
            .reduce((all, part) => sql`${all} union all ${part}`);
          return sql.begin(async (tx) => {
            // A day's events of a shape collected per cell stay in memory.
            await tx`set local work_mem = '64MB'`;
            return tx<CellRow[]>`${union}`;
          });
        }),
    );
    const rowsOf = reads.map(() => new Map<number, CellRow[]>());
    for (const rows of answers)
      for (const r of rows) {
        const m = Number(r.m);
        const byMinute = rowsOf[r.s]!;
        const list = byMinute.get(m);
        if (list) list.push(r);
        else byMinute.set(m, [r]);
      }
    reads.forEach((r, s) => {
      for (const m of r.need) {
        const minute = toMinute(rowsOf[s]!.get(m) ?? [], r.shape.spec.attributes.length, totals.get(m) ?? 0);
        r.view.set(m, minute);
        const old = r.shape.minutes.get(m);
        if (old) this.account(r.shape, -old.bytes);
        r.shape.minutes.set(m, minute);
        this.account(r.shape, minute.bytes);
      }
    });
    this.trim(now);
    return wants.map((w) => byKey.get(shapeKey(w.spec))!.view);
  }

  /**
   * log_minutes' totals per minute over [lo, hi], read once for the calls that start while a read is
   * under way (a tick's countMany and groupMany start together): a day of log_minutes is 100–300 ms
   * to add up. Each call still reads its totals before its events, which is what exactness needs.
   */
  private totals(sql: Sql, lo: number, hi: number): Promise<Map<number, number>> {
    const pending = this.pending;
    if (pending && pending.lo <= lo && pending.hi >= hi) return pending.read;
    // A day behind hi whatever this call needs: the next call of the tick then finds its range in it.
    const from = Math.min(lo, hi - MAX_CACHED_MINUTES * MINUTE_MS - MINUTE_MS);
    const read = (async () => {
      const totals = new Map<number, number>();
      for (const r of await sql<{ m: number; n: number }[]>`
        select (extract(epoch from minute) * 1000)::float8 as m, sum(n)::float8 as n from log_minutes
        where minute >= ${iso(from)}::timestamptz and minute <= ${iso(hi)}::timestamptz group by 1`)
        totals.set(Number(r.m), Number(r.n));
      return totals;
    })();
    const entry = { lo: from, hi, read };
    this.pending = entry;
    const done = () => {
      if (this.pending === entry) this.pending = null;
    };
    read.then(done, done);
    return read;
  }

  private account(shape: Shape, bytes: number) {
    shape.bytes += bytes;
    this.bytes += bytes;
  }

  private drop(key: string, shape: Shape) {
    this.bytes -= shape.bytes;
    this.shapes.delete(key);
  }

  /** Minutes no window can reach any more, idle shapes, then least recently used ones over the bound. */
  private trim(now: number) {
    for (const [key, shape] of this.shapes) {
      if (shape.used < now - IDLE_MS) {
        this.drop(key, shape);
        continue;
      }
      const oldest = shape.newest - MAX_CACHED_MINUTES * MINUTE_MS;
      for (const [m, minute] of shape.minutes) {
        if (m >= oldest) continue;
        shape.minutes.delete(m);
        this.account(shape, -minute.bytes);
      }
    }
    for (const [key, shape] of this.shapes) {
      if (this.bytes <= this.maxBytes) break;
      this.drop(key, shape);
    }
  }
}

/** One shape's cells of the minutes `need`, as (s, m, service, level, g, o, a0 …) rows. */
function cellsSql(sql: Sql, s: number, spec: ShapeSpec, need: number[], width: number): Fragment {
  const pg = (f: SqlFragment) => sql(...asTemplate(f));
  // Runs of consecutive minutes, each one range of ts (the time index serves each).
  const ranges: [number, number][] = [];
  for (const m of need) {
    const last = ranges[ranges.length - 1];
    if (last && last[1] === m) last[1] = m + MINUTE_MS;
    else ranges.push([m, m + MINUTE_MS]);
  }
  const inRange = ranges
    .map(([a, b]) => sql`(ts >= ${iso(a)}::timestamptz and ts < ${iso(b)}::timestamptz)`)
    .reduce((all, r) => sql`${all} or ${r}`);
  const columns = joinSql(
    [
      q`ts, service, level`,
      ...spec.by.map((f, j) => q`${valueText(f)} as ${sqlConstant(`f${j}`)}`),
      ...spec.attributes.map((a, k) => q`${attributeNumberSql(a)} as ${sqlConstant(`x${k}`)}`),
    ],
    ", ",
  );
  // A few minutes' rows are fewer than a word's matches over the day: match the text on them, behind
  // `offset 0` so that the planner does not take the full-text index instead.
  const source = !spec.text
    ? sql`logs where (${inRange})`
    : need.length <= SCAN_TEXT_MINUTES
      ? sql`(select * from logs where (${inRange}) offset 0) as logs where ${textMatch(sql, spec.text)}`
      : sql`logs where (${inRange}) and ${textMatch(sql, spec.text)}`;
  const fields = spec.by.map((_, j) => `f${j}`);
  const g = sqlConstant(`json_build_array(${fields.join(", ")})`);
  const groupBy = sqlConstant(["m", "service", "level", ...fields].join(", "));
  const attrs = Array.from({ length: width }, (_, k) =>
    k < spec.attributes.length
      ? pg(q`json_agg(${sqlConstant(`x${k}`)} order by ts) as ${sqlConstant(`a${k}`)}`)
      : pg(q`null::json as ${sqlConstant(`a${k}`)}`),
  );
  const attrList = attrs.length ? attrs.reduce((all, a) => sql`${all}, ${a}`) : null;
  // JSON, not arrays: postgres.js parses JSON alike on every connection, arrays only where it fetched
  // their types; float8 as JSON is its shortest exact text.
  return sql`(select ${s}::int as s, (extract(epoch from m) * 1000)::float8 as m, service, level, ${pg(g)} as g,
      json_agg((extract(epoch from (ts - m)) * 1000000)::int order by ts) as o ${attrList ? sql`, ${attrList}` : sql``}
    from (select ${minuteOfTs(sql)} as m, ${pg(columns)} from ${source}) e
    group by ${pg(groupBy)})`;
}

/** A minute's rows as columns; strings of a cell's group joined into its key once, here. */
function toMinute(rows: CellRow[], attributes: number, fp: number): Minute {
  let total = 0;
  for (const r of rows) total += r.o.length;
  const offs = new Int32Array(total);
  const vals = Array.from({ length: attributes }, () => new Float64Array(total));
  const cells: Cell[] = [];
  let at = 0;
  for (const r of rows) {
    const start = at;
    offs.set(r.o, at);
    for (let k = 0; k < attributes; k++) {
      const xs = r[`a${k}`] ?? [];
      const out = vals[k]!;
      for (let j = 0; j < r.o.length; j++) out[at + j] = xs[j] ?? Number.NaN;
    }
    at += r.o.length;
    cells.push({ service: r.service, level: r.level, group: r.g, key: JSON.stringify(r.g), start, end: at });
  }
  return { fp, cells, offs, vals, bytes: total * (4 + 8 * attributes) + cells.length * CELL_BYTES };
}

/** The first index in [lo, hi) whose offset is ≥ x (hi when none). */
function lowerBound(offs: Int32Array, lo: number, hi: number, x: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (offs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Each cell's events in [fromUs, endUs) (epoch microseconds, end exclusive) passing `keep`, as index
 * ranges of its minute: `visit(minute, cell, start, end, minuteStartMs)`.
 */
export function eachInRange(
  view: View,
  fromUs: number,
  endUs: number,
  keep: (cell: Cell) => boolean,
  visit: (minute: Minute, cell: Cell, start: number, end: number, m: number) => void,
): void {
  if (endUs <= fromUs) return;
  const { lo: first, hi: last } = minutesOf(fromUs, endUs);
  for (let m = first; m <= last; m += MINUTE_MS) {
    const minute = view.get(m);
    if (!minute) throw new Error(`minute cache: ${iso(m)} missing from the view`);
    const lo = fromUs - m * 1000;
    const hi = endUs - m * 1000;
    const cut = lo > 0 || hi < US_PER_MINUTE;
    for (const cell of minute.cells) {
      if (!keep(cell)) continue;
      let a = cell.start;
      let b = cell.end;
      if (cut) {
        if (lo > 0) a = lowerBound(minute.offs, a, b, lo);
        if (hi < US_PER_MINUTE) b = lowerBound(minute.offs, a, b, hi);
      }
      if (a < b) visit(minute, cell, a, b, m);
    }
  }
}

/** A view's cells by (service, level, group), with each one's running count over its minutes. */
interface Running {
  lo: number;
  ids: Map<string, number>;
  cells: Cell[];
  /** Per cell id: events in the view's minutes before minute index j, at j (length minutes + 1). */
  cum: Float64Array[];
}

const runningOf = new WeakMap<View, Running>();
const idOf = (c: Cell) => `${c.service}\u0000${c.level}\u0000${c.key}`;

function running(view: View): Running {
  const got = runningOf.get(view);
  if (got) return got;
  const minutes = [...view.keys()].sort((a, b) => a - b);
  const lo = minutes[0] ?? 0;
  const span = minutes.length ? (minutes[minutes.length - 1]! - lo) / MINUTE_MS + 1 : 0;
  const ids = new Map<string, number>();
  const cells: Cell[] = [];
  const per: Float64Array[] = [];
  for (const [m, minute] of view) {
    const j = (m - lo) / MINUTE_MS;
    for (const c of minute.cells) {
      const key = idOf(c);
      let id = ids.get(key);
      if (id === undefined) {
        id = cells.length;
        ids.set(key, id);
        cells.push(c);
        per.push(new Float64Array(span + 1));
      }
      per[id]![j + 1]! += c.end - c.start;
    }
  }
  for (const xs of per) for (let j = 1; j <= span; j++) xs[j]! += xs[j - 1]!;
  const r = { lo, ids, cells, cum: per };
  runningOf.set(view, r);
  return r;
}

/**
 * The events in [fromUs, endUs) of each (service, level, group) that `keep` takes, added up through
 * `add(cell, n)`: whole minutes from running counts (a day's window costs what a minute's does), the
 * cut minutes at either end by binary search.
 */
export function countInRange(
  view: View,
  fromUs: number,
  endUs: number,
  keep: (cell: Cell) => boolean,
  add: (cell: Cell, n: number) => void,
): void {
  if (endUs <= fromUs) return;
  const { lo: first, hi: last } = minutesOf(fromUs, endUs);
  const visit = (_: Minute, cell: Cell, a: number, b: number) => add(cell, b - a);
  // Whole minutes [wa, wb]; the cut ones around them read event by event.
  const wa = fromUs === first * 1000 ? first : first + MINUTE_MS;
  const wb = endUs === (last + MINUTE_MS) * 1000 ? last : last - MINUTE_MS;
  if (wb < wa) {
    eachInRange(view, fromUs, endUs, keep, visit);
    return;
  }
  if (wa > first) eachInRange(view, fromUs, wa * 1000, keep, visit);
  if (wb < last) eachInRange(view, (wb + MINUTE_MS) * 1000, endUs, keep, visit);
  const r = running(view);
  const a = (wa - r.lo) / MINUTE_MS;
  const b = (wb - r.lo) / MINUTE_MS + 1;
  for (let id = 0; id < r.cells.length; id++) {
    const cell = r.cells[id]!;
    if (!keep(cell)) continue;
    const xs = r.cum[id]!;
    const n = xs[b]! - xs[a]!;
    if (n > 0) add(cell, n);
  }
}

/** The minutes (starts) [lo, hi] that hold [fromUs, endUs). */
export function minutesOf(fromUs: number, endUs: number): { lo: number; hi: number } {
  return {
    lo: minuteOf(Math.floor(fromUs / 1000)),
    hi: minuteOf(Math.floor((Math.max(endUs, fromUs + 1) - 1) / 1000)),
  };
}

/**
 * The k-th smallest (0-based) of xs, reordering xs: quickselect, linear on average (a day's values of a
 * group, a million, in ~10 ms where sorting takes ~100).
 */
export function selectKth(xs: Float64Array, k: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const pivot = xs[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (xs[i]! < pivot) i++;
      while (xs[j]! > pivot) j--;
      if (i <= j) {
        const t = xs[i]!;
        xs[i] = xs[j]!;
        xs[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return xs[k]!;
  }
  return xs[k]!;
}

/** Postgres's percentile_cont(p) of the values (reordered), null when none: exact, as the SQL answers. */
export function percentileOfValues(xs: Float64Array, p: number): number | null {
  if (xs.length === 0) return null;
  const pos = p * (xs.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = selectKth(xs, lo);
  if (hi === lo) return a;
  // After selecting lo, every value right of it is ≥ it: the next rank is their least.
  let b = Number.POSITIVE_INFINITY;
  for (let j = lo + 1; j < xs.length; j++) if (xs[j]! < b) b = xs[j]!;
  return a + (b - a) * (pos - lo);
}
