import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { openEmbeddedDatabase } from "../core/adapters/pglite/open.ts";
import { connectPostgres } from "../core/adapters/postgres/connect.ts";
import {
  EMBEDDED_STORE_OPTIONS,
  PostgresLogStore,
  type PostgresLogStoreOptions,
} from "../core/adapters/postgres/log-store.ts";
import { migrate } from "../core/adapters/postgres/migrate.ts";
import type { Level } from "../core/level.ts";
import type { LogEvent } from "../core/log-event.ts";
import type { GroupedQuery, GroupedValue, LogFilter } from "../core/ports/log-store.ts";
import { parseFieldName } from "../core/query/schema.ts";
import { MIGRATIONS } from "../db/migrations/index.ts";
import { freshPostgresDatabase, postgresReachable } from "./helpers/engines.ts";
import { logEvent } from "./helpers/events.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";

/**
 * The alert tick's minute cache (core/adapters/postgres/minute-cache.ts): a store with it answers
 * countMany and groupMany as one without it, tick after tick, with events arriving late into minutes it
 * has cached, on Postgres and on PGlite.
 */

integrationTimeouts(120_000);

const MINUTE = 60_000;
// A tick inside a minute (17.345 s past it), so that windows cut their first and last minutes.
const NOW = Math.floor(Date.now() / MINUTE) * MINUTE - 240 * MINUTE + 17_345;
const SERVICES = ["api", "pay", "web edge"];
const LEVELS: Level[] = ["DEBUG", "INFO", "WARNING", "ERROR"];
const MESSAGES = ["payment failed", "card declined at checkout", "upstream timeout", "ok", "payment ok"];

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Events over the 3 h before NOW and the 10 min after it (later ticks reach those). */
function events(n: number, seed: number, from: number, to: number): LogEvent[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  return Array.from({ length: n }, () => {
    const ts = Math.floor(from + r() * (to - from));
    const attributes: Record<string, string | number> = {};
    const k = r();
    // Integers, decimals, numeric strings, text that is no number, and no value at all.
    if (k < 0.5) attributes.latency_ms = Math.floor(r() * 2000);
    else if (k < 0.7) attributes.latency_ms = Math.round(r() * 200000) / 100;
    else if (k < 0.8) attributes.latency_ms = String(Math.floor(r() * 3000));
    else if (k < 0.85) attributes.latency_ms = "slow";
    if (r() < 0.8) attributes.status_code = pick(["200", "500", "503"]);
    return logEvent(ts, {
      service: pick(SERVICES),
      level: pick(LEVELS),
      message: pick(MESSAGES),
      attributes,
    });
  });
}

const WINDOWS = [1, 5, 17, 60, 180, 1440];
const TEXTS = [null, "payment", "card declined", "latency_ms:>1500"];
const BY = [[], ["service"], ["level"], ["service", "level"], ["status_code"]];
const FNS = ["count", "p95", "p50", "avg", "max", "min", "sum"] as const;

/** Alert-shaped queries (whole-minute windows ending at `now`), a seeded mix of everything above. */
function queries(now: number): { counts: LogFilter[]; grouped: GroupedQuery[] } {
  const r = rng(11);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const filter = () => {
    const f: LogFilter & { from: number; to: number } = { from: now - pick(WINDOWS) * MINUTE, to: now };
    const text = pick(TEXTS);
    if (text) f.text = text;
    if (r() < 0.3) f.services = [pick(SERVICES)];
    if (r() < 0.2) f.levels = [pick(LEVELS), pick(LEVELS)];
    return f;
  };
  const counts = Array.from({ length: 40 }, filter);
  const grouped = Array.from({ length: 60 }, (): GroupedQuery => {
    const fn = pick(FNS);
    return {
      filter: filter(),
      by: pick(BY).map((name) => parseFieldName(name)!),
      agg: fn === "count" ? { fn } : { fn, attribute: "latency_ms" },
    };
  });
  return { counts, grouped };
}

/**
 * A sum or an average of decimals depends on the order it is added in, which is Postgres's scan order
 * without the cache (itself not fixed: a parallel plan adds in parts) and minute by minute with it: those
 * agree to the last few bits; every other answer exactly.
 */
function expectSame(got: GroupedValue[][], want: GroupedValue[][], qs: GroupedQuery[]) {
  expect(got.length).toBe(want.length);
  got.forEach((groups, i) => {
    const approx = qs[i]!.agg.fn === "sum" || qs[i]!.agg.fn === "avg";
    const exact = (gs: GroupedValue[]) => gs.map((g) => ({ ...g, value: approx ? null : g.value }));
    expect({ i, groups: exact(groups) }).toEqual({ i, groups: exact(want[i]!) });
    if (!approx) return;
    groups.forEach((g, j) => {
      const w = want[i]![j]!.value;
      if (w === null || g.value === null) expect(g.value).toBe(w);
      else expect(Math.abs(g.value - w)).toBeLessThanOrEqual(Math.abs(w) * 1e-12);
    });
  });
}

function cacheSuite(
  name: string,
  open: () => Promise<{ storeWith(o: PostgresLogStoreOptions): PostgresLogStore; close(): Promise<void> }>,
) {
  describe(name, () => {
    let db: Awaited<ReturnType<typeof open>>;
    let plain: PostgresLogStore;
    let cached: PostgresLogStore;
    let tiny: PostgresLogStore;
    beforeAll(async () => {
      db = await open();
      plain = db.storeWith({ alertCacheBytes: 0 });
      cached = db.storeWith({});
      // A bound below one minute's events: every call drops what it read, and answers all the same.
      tiny = db.storeWith({ alertCacheBytes: 1 });
      await plain.write(events(6000, 1, NOW - 180 * MINUTE, NOW + 10 * MINUTE));
    });
    afterAll(() => db.close());

    test("tick after tick, with late events between ticks, cached answers are the uncached ones", async () => {
      let late = 100;
      let lateSeen = 0;
      for (let tick = 0; tick < 6; tick++) {
        const now = NOW + tick * MINUTE + (tick % 2) * 1_234;
        const { counts, grouped } = queries(now);
        const want = {
          counts: await plain.countMany(counts),
          grouped: await plain.groupMany(grouped, 3),
        };
        for (const store of [cached, tiny]) {
          expect(await store.countMany(counts)).toEqual(want.counts);
          expectSame(await store.groupMany(grouped, 3), want.grouped, grouped);
        }
        lateSeen += want.counts.reduce((a, b) => a + b, 0);
        // Late events into minutes the cache holds (the last hour), and one just before now.
        await plain.write([
          ...events(30, late++, now - 60 * MINUTE, now - MINUTE),
          ...events(1, late++, now - 1000, now),
        ]);
      }
      expect(lateSeen).toBeGreaterThan(0);
    });

    test("a late event in a cached minute is counted, and its number is in the next tick's functions", async () => {
      const service = `late-${Math.random().toString(36).slice(2, 8)}`;
      const now = NOW + 30 * MINUTE + 5_000;
      const old = now - 45 * MINUTE - 7_000;
      await plain.write([
        logEvent(old, {
          service,
          message: "payment failed",
          attributes: { latency_ms: 10, status_code: "500" },
        }),
      ]);
      const grouped = (at: number): GroupedQuery[] =>
        (["count", "max", "p95"] as const).map((fn) => ({
          filter: { from: at - 60 * MINUTE, to: at, services: [service] },
          by: [parseFieldName("status_code")!],
          agg: fn === "count" ? { fn } : { fn, attribute: "latency_ms" },
        }));
      const counts = (at: number): LogFilter[] => [
        { from: at - 60 * MINUTE, to: at, services: [service], text: "payment" },
      ];
      const first = await cached.groupMany(grouped(now), 10);
      expect(first.map((g) => g.map((x) => [x.group, x.count, x.value]))).toEqual([
        [[["500"], 1, 1]],
        [[["500"], 1, 10]],
        [[["500"], 1, 10]],
      ]);
      expect(await cached.countMany(counts(now))).toEqual([1]);
      // Stored a minute later into the same, long closed, minute: the cache must read it again.
      await plain.write([
        logEvent(old + 3_000, {
          service,
          message: "payment failed again",
          attributes: { latency_ms: 5000, status_code: "500" },
        }),
      ]);
      const next = now + MINUTE;
      const second = await cached.groupMany(grouped(next), 10);
      expect(second.map((g) => g.map((x) => [x.group, x.count, x.value]))).toEqual([
        [[["500"], 2, 2]],
        [[["500"], 2, 5000]],
        [[["500"], 2, 4750.5]],
      ]);
      expect(second).toEqual(await plain.groupMany(grouped(next), 10));
      expect(await cached.countMany(counts(next))).toEqual([2]);
    });
  });
}

const reachable = await postgresReachable();

if (reachable)
  cacheSuite("minute cache on Postgres", async () => {
    const fresh = await freshPostgresDatabase();
    const sql = connectPostgres(fresh.url, { max: 4, applicationName: "logflow-test" });
    await migrate(sql, MIGRATIONS);
    return {
      storeWith: (o) => new PostgresLogStore(sql, o),
      async close() {
        await sql.end({ timeout: 5 });
        await fresh.drop();
      },
    };
  });

cacheSuite("minute cache on PGlite", async () => {
  const db = await openEmbeddedDatabase("memory://");
  await migrate(db.sql, MIGRATIONS);
  return {
    storeWith: (o) => new PostgresLogStore(db.sql, { ...EMBEDDED_STORE_OPTIONS, ...o }),
    close: () => db.close(),
  };
});
