import type { Fragment, Sql } from "postgres";
import type { LogFilter } from "../../ports/log-store.ts";
import { iso } from "../log-store-common.ts";
import { filterSql, textMatch } from "./filter-sql.ts";
import { storable } from "./log-rows.ts";
import { countInRange, MAX_CACHED_MINUTES, type MinuteCache, minutesOf } from "./minute-cache.ts";
import { MINUTE_MS } from "./minute-counts.ts";

/**
 * countMany on Postgres: the counts of an alert tick (a thousand rules) in a few statements, run side
 * by side.
 *
 * A filter over whole minutes ending at `to` (an alert window) joins the group of filters with the
 * same text and the same `to`. Each group reads its longest window once, counted per service, level
 * and *age bucket*, and each filter sums the cells of its services, levels and buckets: exact, both
 * bounds inclusive. An event's age is k when it lies (k−1, k] minutes before `to` (`to` itself is age
 * 0); bucket b holds the ages k for which exactly b of the group's windows are shorter than k, so a
 * filter whose window is the group's b-th shortest counts buckets 0..b. Without text, whole minutes
 * come from the per-minute counts (log_minutes) and only the few minutes a window starts or ends inside
 * are read from `logs`; with text, one pass over the text's matches per group.
 *
 * With a `cache` (minute-cache.ts), groups whose longest window is at most a day are counted from its
 * minutes instead: a tick reads the events (of the text, if any) of the minutes that are new or
 * changed, not of the whole window again.
 *
 * Any other filter is its own `count(*)`, all of them in one UNION ALL.
 */

/** Longest window counted by age bucket (a week); longer ones are counted one by one. */
const MAX_WINDOW_MINUTES = 10_080;

/** Filters with the same text and the same end: one read of the longest window serves them all. */
interface WindowGroup {
  /** Position in the plan's groups: how the SQL tells groups apart. */
  id: number;
  /** The trimmed search text, or null for none. */
  text: string | null;
  /** The windows' shared inclusive end, epoch ms. */
  to: number;
  /** The distinct window lengths of its filters, in minutes, ascending once planned. */
  windows: number[];
}

/** A filter whose range is `window` whole minutes ending at its group's `to`. */
interface WindowedFilter {
  /** Position in countMany's input and answer. */
  index: number;
  group: WindowGroup;
  window: number;
  services: string[] | null;
  levels: string[] | null;
  /** Counted per service and/or level (a grouped alert rule) instead of once. */
  byService: boolean;
  byLevel: boolean;
}

/** The counting plan: windowed filters by group, and the filters counted one by one. */
interface CountPlan {
  groups: WindowGroup[];
  windowed: WindowedFilter[];
  single: number[];
}

export async function countMany(
  sql: Sql,
  filters: LogFilter[],
  parallelism: number,
  cache?: MinuteCache,
): Promise<number[]> {
  const counts = new Array<number>(filters.length).fill(0);
  const plan = planCounts(filters);
  const answers = await Promise.all([
    countWindowed(sql, plan, parallelism, cache),
    countSingly(sql, filters, plan.single),
  ]);
  for (const rows of answers.flat()) for (const r of rows) counts[r.i] = (counts[r.i] ?? 0) + Number(r.n);
  return counts;
}

/** A count grouped by service and/or level: what countGroupsMany takes. */
export interface GroupedCount {
  filter: LogFilter;
  by: ("service" | "level")[];
}

/** Whether countGroupsMany takes the filter: whole minutes ending at `to`, as alert windows are. */
export function countsByWindow(f: LogFilter): boolean {
  return windowMinutes(f) !== null;
}

/**
 * Counts per service and/or level of many filters (each one `countsByWindow`), from the same cells as
 * countMany: a grouped count costs what an ungrouped one does. Groups with no events are left out;
 * each answer in the order of `by`.
 */
export async function countGroupsMany(
  sql: Sql,
  queries: GroupedCount[],
  parallelism: number,
  cache?: MinuteCache,
): Promise<{ group: string[]; count: number }[][]> {
  const out: { group: string[]; count: number }[][] = queries.map(() => []);
  const plan = planCounts(
    queries.map((q) => q.filter),
    queries.map((q) => q.by),
  );
  if (plan.single.length > 0) throw new RangeError("countGroupsMany takes whole-minute windows only");
  for (const rows of await countWindowed(sql, plan, parallelism, cache)) {
    for (const r of rows) {
      const n = Number(r.n);
      if (n === 0) continue;
      const by = queries[r.i]!.by;
      out[r.i]!.push({ group: by.map((f) => (f === "service" ? r.service : r.level) ?? ""), count: n });
    }
  }
  return out;
}

/** A filter's window in whole minutes, or null when it is not one countWindowed can take. */
function windowMinutes(f: LogFilter): number | null {
  if (f.from === undefined || f.to === undefined) return null;
  if (f.correlationId !== undefined || f.traceId !== undefined) return null;
  const span = f.to - f.from;
  if (span < 0 || span % MINUTE_MS !== 0 || span / MINUTE_MS > MAX_WINDOW_MINUTES) return null;
  return span / MINUTE_MS;
}

function planCounts(filters: LogFilter[], by: ("service" | "level")[][] = []): CountPlan {
  const groups = new Map<string, WindowGroup>();
  const windowed: WindowedFilter[] = [];
  const single: number[] = [];
  filters.forEach((f, index) => {
    const window = windowMinutes(f);
    if (window === null) {
      single.push(index);
      return;
    }
    const text = f.text?.trim() || null;
    // Whole milliseconds, as the SQL reads `to`.
    const to = Math.trunc(f.to!);
    const key = `${to}\u0000${text ?? ""}\u0000${text === null ? 0 : 1}`;
    let group = groups.get(key);
    if (!group) {
      group = { id: groups.size, text, to, windows: [] };
      groups.set(key, group);
    }
    if (!group.windows.includes(window)) group.windows.push(window);
    windowed.push({
      index,
      group,
      window,
      services: f.services?.length ? f.services.map(storable) : null,
      levels: f.levels?.length ? f.levels : null,
      byService: by[index]?.includes("service") ?? false,
      byLevel: by[index]?.includes("level") ?? false,
    });
  });
  for (const g of groups.values()) g.windows.sort((a, b) => a - b);
  return { groups: [...groups.values()], windowed, single };
}

type CountRows = { i: number; n: number | string; service?: string | null; level?: string | null }[];

/**
 * The windowed filters' counts: the groups without text in one statement over the per-minute counts,
 * the groups with text spread over `parallelism` statements (the pool's connections; on PGlite they
 * simply queue).
 */
async function countWindowed(
  sql: Sql,
  plan: CountPlan,
  parallelism: number,
  cache?: MinuteCache,
): Promise<CountRows[]> {
  if (plan.windowed.length === 0) return [];
  const filterRows = plan.windowed.map((f) => ({
    filter_index: f.index,
    grp: f.group.id,
    bucket: f.group.windows.indexOf(f.window),
    services: f.services,
    levels: f.levels,
    by_service: f.byService,
    by_level: f.byLevel,
  }));
  const slices: WindowGroup[][] = Array.from({ length: parallelism }, () => []);
  // Plain groups too: their per-minute cells re-add a day of log_minutes rows every tick (200–500 ms
  // at 200k events a day, under load), which the cache's minutes, kept, do not.
  const fromCache = (g: WindowGroup) =>
    cache !== undefined && g.windows[g.windows.length - 1]! <= MAX_CACHED_MINUTES;
  const texts = plan.groups.filter((g) => g.text !== null && !fromCache(g));
  for (let k = 0; k < texts.length; k++) slices[k % slices.length]!.push(texts[k]!);
  const plain = plan.groups.filter((g) => g.text === null && !fromCache(g));
  const task = (groups: WindowGroup[], cells: Fragment) =>
    sql.begin(async (tx) => {
      // A day of a common word is tens of thousands of (service, level, minute) groups: enough memory
      // to hash them instead of sorting on disk.
      await tx`set local work_mem = '64MB'`;
      return tx<CountRows>`
        with grp as (
          select * from jsonb_to_recordset(${sql.json(groups.map(groupRow) as never)}::jsonb)
            as grp(id int, starts timestamptz, ends timestamptz, thresholds int[], end_minute timestamptz,
                   first_minute timestamptz, split_ages int[], exact_minutes timestamptz[])
        ), wanted as (
          select * from jsonb_to_recordset(${sql.json(filterRows as never)}::jsonb)
            as wanted(filter_index int, grp int, bucket int, services text[], levels text[], by_service bool,
              by_level bool)
          where wanted.grp in (select id from grp)
        ), cells as materialized (${cells})
        select w.filter_index as i, case when w.by_service then c.service end as service,
               case when w.by_level then c.level end as level, coalesce(sum(c.n), 0)::float8 as n
        from wanted w left join cells c on c.grp = w.grp and c.bucket <= w.bucket
          and (w.services is null or c.service = any(w.services)) and (w.levels is null or c.level = any(w.levels))
        group by 1, 2, 3`;
    });
  const cachedGroups = plan.groups.filter(fromCache);
  return Promise.all([
    ...(cachedGroups.length ? [countCached(sql, plan, cachedGroups, parallelism, cache!)] : []),
    ...(plain.length ? [task(plain, minuteCells(sql))] : []),
    ...slices.filter((s) => s.length > 0).map((s) => task(s, textCells(sql, s))),
  ]);
}

/**
 * The counts of the groups' filters from the cache's minutes: each filter's events in
 * [to − window, to] (to at its millisecond, as the SQL compares it), of its services and levels.
 */
async function countCached(
  sql: Sql,
  plan: CountPlan,
  groups: WindowGroup[],
  parallelism: number,
  cache: MinuteCache,
): Promise<CountRows> {
  const endUs = (g: WindowGroup) => g.to * 1000 + 1;
  const startUs = (g: WindowGroup, window: number) => (g.to - window * MINUTE_MS) * 1000;
  const views = await cache.views(
    sql,
    groups.map((g) => ({
      spec: { text: g.text, by: [], attributes: [] },
      ...minutesOf(startUs(g, g.windows[g.windows.length - 1]!), endUs(g)),
    })),
    parallelism,
  );
  const viewOf = new Map(groups.map((g, k) => [g, views[k]!]));
  const rows: CountRows = [];
  for (const f of plan.windowed) {
    const view = viewOf.get(f.group);
    if (!view) continue;
    const services = f.services ? new Set(f.services) : null;
    const levels = f.levels ? new Set(f.levels) : null;
    const counts = new Map<string, { service: string | null; level: string | null; n: number }>();
    countInRange(
      view,
      startUs(f.group, f.window),
      endUs(f.group),
      (c) => (!services || services.has(c.service)) && (!levels || levels.has(c.level)),
      (cell, n) => {
        const service = f.byService ? cell.service : null;
        const level = f.byLevel ? cell.level : null;
        const key = `${service}\u0000${level}`;
        const got = counts.get(key);
        if (got) got.n += n;
        else counts.set(key, { service, level, n });
      },
    );
    for (const c of counts.values()) rows.push({ i: f.index, ...c });
  }
  return rows;
}

/**
 * A group as the SQL reads it. The calendar minute k minutes before m0, the minute `to` falls in,
 * holds events of age k when `to` is on a minute's edge, and of ages k and k + 1 when `to` is inside
 * m0: then it lies wholly inside or outside every window except those of exactly k minutes, which
 * start inside it. Those minutes (`split_ages`) and m0 itself, cut at `to`, are read from `logs` with
 * exact ages (`exact_minutes`); every other minute counts as age k, whose bucket is that of k + 1 when
 * no window is k minutes long.
 */
function groupRow(g: WindowGroup) {
  const longest = g.windows[g.windows.length - 1]!;
  const endMinute = Math.floor(g.to / MINUTE_MS) * MINUTE_MS;
  const toInsideMinute = g.to > endMinute;
  return {
    id: g.id,
    starts: iso(g.to - longest * MINUTE_MS),
    ends: iso(g.to),
    // width_bucket's thresholds: an event of age k falls in bucket b = how many windows are shorter than k.
    thresholds: g.windows.map((w) => w + 1),
    end_minute: iso(endMinute),
    first_minute: iso(endMinute - longest * MINUTE_MS),
    split_ages: toInsideMinute ? g.windows : [],
    // A window of 0 minutes (from = to) starts in m0 itself: listed once, or it is read twice.
    exact_minutes: [
      endMinute,
      ...(toInsideMinute ? g.windows.filter((w) => w > 0).map((w) => endMinute - w * MINUTE_MS) : []),
    ].map(iso),
  };
}

/** Cells of groups without text: whole minutes from log_minutes, the split ones from `logs`. */
function minuteCells(sql: Sql): Fragment {
  return sql`
    select grp.id as grp, r.service, r.level, width_bucket(r.age, grp.thresholds) as bucket,
           sum(r.n) as n
    from grp cross join lateral (
      select service, level, (extract(epoch from (grp.end_minute - minute)) / 60)::int as age, n
      from log_minutes where minute >= grp.first_minute and minute < grp.end_minute) r
    where not (r.age = any(grp.split_ages))
    group by 1, 2, 3, 4
    union all
    select grp.id, x.service, x.level,
           width_bucket((extract(epoch from (grp.ends - x.bin)) / 60)::int, grp.thresholds), sum(x.n)
    from grp cross join unnest(grp.exact_minutes) as p(m) cross join lateral (
      select service, level, date_bin('1 minute', ts, grp.ends) as bin, count(*) as n
      from logs
      where ts >= greatest(p.m, grp.starts) and ts < p.m + interval '1 minute' and ts <= grp.ends
      group by 1, 2, 3) x
    group by 1, 2, 3, 4`;
}

/**
 * Cells of groups with text: every matching event of the longest window. Each group is its own
 * subquery with its values bound (not a lateral join over the group list), so the planner sees the
 * text and the range: the full-text index for a day, the time index for five minutes. Through a lateral
 * join it guessed, and intersected a 24 h word with a bitmap of all 640k rows of the day.
 */
function textCells(sql: Sql, groups: WindowGroup[]): Fragment {
  return groups
    .map((g) => {
      const { id, starts, ends, thresholds } = groupRow(g);
      return sql`
        select ${id}::int as grp, service, level,
               width_bucket((extract(epoch from (${ends}::timestamptz
                 - date_bin('1 minute', ts, ${ends}::timestamptz))) / 60)::int, ${thresholds}::int[]) as bucket,
               count(*) as n
        from logs
        where ts >= ${starts}::timestamptz and ts <= ${ends}::timestamptz and ${textMatch(sql, g.text ?? "")}
        group by 1, 2, 3, 4`;
    })
    .reduce((all, q) => sql`${all} union all ${q}`);
}

/** The filters at `indexes` counted one by one, all in one statement. */
async function countSingly(sql: Sql, filters: LogFilter[], indexes: number[]): Promise<CountRows[]> {
  if (indexes.length === 0) return [];
  const union = indexes
    .map(
      (i) => sql`select ${i}::int as i, count(*)::float8 as n from logs where ${filterSql(sql, filters[i]!)}`,
    )
    .reduce((all, q) => sql`${all} union all ${q}`);
  return [await sql<CountRows>`${union}`];
}
