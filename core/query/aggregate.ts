import type { LogEvent } from "../log-event.ts";
import type { Field } from "./ast.ts";
import type { Aggregation } from "./schema.ts";
import { percentileOf } from "./schema.ts";
import { type AttributeValue, attributeNumber, attributeText, columnValue } from "./values.ts";

/**
 * What LogStore.aggregate computes, and the reference every engine is held to (the conformance suite
 * compares each store's answer with `aggregateEvents` over the same events).
 *
 * Groups: the distinct combinations of the `by` fields' values (as text; null where an event has no
 * value) among the matching events, ranked by their count over the whole range, largest first, ties by
 * the values in code-point order (null first). The first `limit` are kept; the rest, if any, are one
 * group `other` (group null). With an interval, every bucket from the range's first (aligned to
 * multiples of the interval since the epoch) holds every kept group, zeros included.
 */
export interface AggregateSpec {
  by: Field[];
  aggs: Aggregation[];
  /** Bucket length in ms; absent: one bucket for the whole range. */
  intervalMs?: number;
  /** Groups kept (at least 1). */
  limit: number;
}

export interface AggregateRow {
  /** Bucket start, epoch ms (with an interval). */
  start?: number;
  /** The `by` values in order; null for the groups beyond `limit`, taken together. */
  group: (string | null)[] | null;
  /** One per aggregation, in order: counts are 0 for no events, the rest null for no number. */
  values: (number | null)[];
}

export interface AggregateResult {
  /** Matching events in the range. */
  total: number;
  rows: AggregateRow[];
}

/** A field's value as text, as the query language compares it; null when absent. */
export function fieldText(e: LogEvent, field: Field): string | null {
  if (field.kind === "column") return columnValue(e, field.name);
  const attributes = e.attributes;
  return Object.hasOwn(attributes, field.name)
    ? attributeText(attributes[field.name] as AttributeValue)
    : null;
}

/** Order of group keys: code points, null first (as Postgres's `collate "C" nulls first`). */
export function compareGroups(a: (string | null)[], b: (string | null)[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === y) continue;
    if (x === null) return -1;
    if (y === null) return 1;
    return codePointCompare(x, y);
  }
  return 0;
}

function codePointCompare(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i] as string).codePointAt(0)! - (y[i] as string).codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * The kept groups of ranked (group, count) pairs: the first `limit` by count, ties by value, and whether
 * any group was left out.
 */
export function topGroups<G extends { group: (string | null)[]; count: number }>(
  groups: G[],
  limit: number,
): { kept: G[]; other: boolean } {
  const ranked = [...groups].sort((a, b) => b.count - a.count || compareGroups(a.group, b.group));
  return { kept: ranked.slice(0, limit), other: ranked.length > limit };
}

/** Percentile with linear interpolation between the closest ranks (Postgres's percentile_cont). */
export function percentileCont(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const pos = p * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

/** The values of the aggregations over some events. */
export function aggregateValues(events: LogEvent[], aggs: Aggregation[]): (number | null)[] {
  return aggs.map((a) => {
    if (a.fn === "count") return events.length;
    if (a.fn === "count_distinct") {
      const seen = new Set<string>();
      for (const e of events) {
        const v = fieldText(e, a.field);
        if (v !== null) seen.add(v);
      }
      return seen.size;
    }
    const numbers: number[] = [];
    for (const e of events) {
      if (!Object.hasOwn(e.attributes, a.attribute)) continue;
      const n = attributeNumber(e.attributes[a.attribute] as AttributeValue);
      if (n !== undefined) numbers.push(n);
    }
    if (numbers.length === 0) return null;
    const p = percentileOf(a.fn);
    if (p !== null)
      return percentileCont(
        numbers.sort((x, y) => x - y),
        p,
      );
    const sum = numbers.reduce((s, n) => s + n, 0);
    if (a.fn === "sum") return sum;
    if (a.fn === "avg") return sum / numbers.length;
    if (a.fn === "min") return Math.min(...numbers);
    return Math.max(...numbers);
  });
}

/** The reference answer over events that already match the query and lie in [from, to]. */
export function aggregateEvents(
  events: LogEvent[],
  range: { from: number; to: number },
  spec: AggregateSpec,
): AggregateResult {
  const key = (g: (string | null)[]) => JSON.stringify(g);
  const byGroup = new Map<string, { group: (string | null)[]; count: number; events: LogEvent[] }>();
  for (const e of events) {
    const group = spec.by.map((f) => fieldText(e, f));
    const k = key(group);
    let entry = byGroup.get(k);
    if (!entry) {
      entry = { group, count: 0, events: [] };
      byGroup.set(k, entry);
    }
    entry.count++;
    entry.events.push(e);
  }
  const { kept, other } = topGroups([...byGroup.values()], Math.max(1, spec.limit));
  // Without `by` there is one group, present even with no events.
  if (spec.by.length === 0 && kept.length === 0) kept.push({ group: [], count: 0, events: [] });
  const keptKeys = new Set(kept.map((g) => key(g.group)));
  const rest = other ? events.filter((e) => !keptKeys.has(key(spec.by.map((f) => fieldText(e, f))))) : [];
  const groups: { group: (string | null)[] | null; events: LogEvent[] }[] = [
    ...kept.map((g) => ({ group: g.group, events: g.events })),
    ...(other ? [{ group: null, events: rest }] : []),
  ];
  const rows: AggregateRow[] = [];
  if (spec.intervalMs === undefined) {
    for (const g of groups) rows.push({ group: g.group, values: aggregateValues(g.events, spec.aggs) });
  } else {
    const step = spec.intervalMs;
    const first = Math.floor(range.from / step) * step;
    for (let start = first; start <= range.to; start += step) {
      for (const g of groups) {
        const inBucket = g.events.filter((e) => {
          const ts = Date.parse(e.timestamp);
          return ts >= start && ts < start + step;
        });
        rows.push({ start, group: g.group, values: aggregateValues(inBucket, spec.aggs) });
      }
    }
  }
  return { total: events.length, rows };
}

/**
 * An engine's answer laid out as rows: every bucket of `span` (one bucket at 0 without an interval) times
 * every kept group, then `other` (cell index -1) if any group was left out. `cells` holds the values an
 * engine found, keyed `${bucket start}:${group index}`; a missing cell is counts 0, the rest null.
 */
export function gridRows(
  spec: AggregateSpec,
  kept: (string | null)[][],
  other: boolean,
  span: { first: number; buckets: number } | null,
  cells: Map<string, (number | null)[]>,
): AggregateRow[] {
  const zero = spec.aggs.map((a) => (a.fn === "count" || a.fn === "count_distinct" ? 0 : null));
  const groups: { group: (string | null)[] | null; index: number }[] = kept.map((group, index) => ({
    group,
    index,
  }));
  if (other) groups.push({ group: null, index: -1 });
  const starts =
    spec.intervalMs === undefined || span === null
      ? [0]
      : Array.from({ length: span.buckets }, (_, i) => span.first + i * (spec.intervalMs as number));
  const rows: AggregateRow[] = [];
  for (const start of starts) {
    for (const g of groups) {
      const row: AggregateRow = { group: g.group, values: cells.get(`${start}:${g.index}`) ?? [...zero] };
      if (spec.intervalMs !== undefined) row.start = start;
      rows.push(row);
    }
  }
  return rows;
}
