import { type Accessor, createEffect, createSignal, on, onCleanup } from "solid-js";
import {
  filtersAsQuery,
  type LogEvent,
  type LogQuery,
  searchLogs,
  searchParams,
  windowOf,
} from "../../data/logs.ts";
import { openTail, type TailHandle, type TailState } from "../../data/tail.ts";

/** The first page: quick to show. */
const PAGE = 100;
/** Each older page the reader scrolls to: fewer round trips for those who read far back. */
const MORE = 500;
/** Rows a live tail keeps: the newest; older ones are dropped (and the page says so). */
export const TAIL_KEEP = 1_000;
/** Events arriving on the tail are put on the page in batches this far apart, ms. */
const FLUSH_MS = 200;

/**
 * Explore's results: the first page whenever the filters change, older pages by cursor on demand, and
 * (while tailing) each new matching event from the API's live tail (Server-Sent Events), newest on top,
 * keeping the newest `TAIL_KEEP`. Pausing keeps the tail's place: resuming goes on just after the last
 * event received, so nothing stored meanwhile is missed.
 */
export function createLogSearch(opts: { query: Accessor<LogQuery>; tail: Accessor<boolean> }) {
  const [logs, setLogs] = createSignal<LogEvent[]>([]);
  const [total, setTotal] = createSignal<number | null>(null);
  const [cursor, setCursor] = createSignal<string | null>(null);
  const [loading, setLoading] = createSignal(false);
  const [error, setError] = createSignal<unknown>(null);
  const [tookMs, setTookMs] = createSignal<number | null>(null);
  /** Rows the tail's cap dropped from the end since the last search. */
  const [dropped, setDropped] = createSignal(0);
  const [tailState, setTailState] = createSignal<TailState | null>(null);
  /** The window the search covers, both ends absolute (the histogram and fields use the same). */
  const [searchWindow, setSearchWindow] = createSignal<{ from: number; to: number } | null>(null);
  /** The generation whose first page has arrived (the tail starts after it). */
  const [loaded, setLoaded] = createSignal(0);
  let win: { from?: number; to?: number } = {};
  let generation = 0;
  let controller: AbortController | undefined;
  const seen = new Set<string>();

  async function first() {
    const gen = ++generation;
    controller?.abort();
    controller = new AbortController();
    // Both ends fixed when the search starts: later pages, the histogram and the fields all agree.
    const now = Date.now();
    const w = windowOf(opts.query(), now);
    win = { from: w.from ?? now - 3_600_000, to: w.to ?? now };
    setSearchWindow({ from: win.from!, to: win.to! });
    seen.clear();
    pending = [];
    setLogs([]);
    setTotal(null);
    setCursor(null);
    setError(null);
    setDropped(0);
    setLoading(true);
    try {
      const page = await searchLogs(searchParams(opts.query(), win, { limit: PAGE }), controller.signal);
      if (gen !== generation) return;
      for (const l of page.logs) seen.add(l.id);
      setLogs(page.logs);
      setTotal(page.total);
      setCursor(page.next_cursor);
      setTookMs(page.took_ms);
      setLoaded(gen);
    } catch (err) {
      if (gen === generation && (err as Error)?.name !== "AbortError") setError(err);
    } finally {
      if (gen === generation) setLoading(false);
    }
  }

  async function more() {
    const c = cursor();
    if (!c || loading()) return;
    const gen = generation;
    setLoading(true);
    try {
      const page = await searchLogs(searchParams(opts.query(), win, { limit: MORE, cursor: c }));
      if (gen !== generation) return;
      const fresh = page.logs.filter((l) => !seen.has(l.id));
      for (const l of fresh) seen.add(l.id);
      setLogs((prev) => [...prev, ...fresh]);
      setCursor(page.next_cursor);
    } catch (err) {
      if (gen === generation) setError(err);
    } finally {
      if (gen === generation) setLoading(false);
    }
  }

  // --- live tail ---
  let pending: LogEvent[] = [];
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  /** Where a paused tail stopped, for the same query: resuming goes on from there. */
  let paused: { query: string; id: string } | null = null;

  function flush() {
    flushTimer = undefined;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    const fresh: LogEvent[] = [];
    for (const e of batch) {
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      fresh.push(e);
    }
    if (fresh.length === 0) return;
    fresh.reverse(); // the latest arrival on top
    let next = [...fresh, ...logs()];
    if (next.length > TAIL_KEEP) {
      const cut = next.slice(TAIL_KEEP);
      for (const l of cut) seen.delete(l.id);
      next = next.slice(0, TAIL_KEEP);
      setDropped((d) => d + cut.length);
      setCursor(null); // the next page would follow rows no longer shown
    }
    setTotal((t) => (t ?? 0) + fresh.length);
    setLogs(next);
  }

  function receive(e: LogEvent) {
    pending.push(e);
    flushTimer ??= setTimeout(flush, FLUSH_MS);
  }

  /** What was stored between the search and the tail's start (a search from the newest line on). */
  async function catchUp(gen: number) {
    const newest = logs()[0]?.timestamp;
    const from = newest ? Date.parse(newest) : win.from;
    try {
      const page = await searchLogs(searchParams(opts.query(), { from }, { limit: 500 }));
      if (gen !== generation) return;
      // Oldest first, as if they had arrived on the tail.
      for (const l of [...page.logs].reverse()) receive(l);
    } catch {
      // The tail goes on; the few lines of the gap are the only loss, and the next search has them.
    }
  }

  createEffect(on(() => JSON.stringify(opts.query()), first));

  createEffect(() => {
    const gen = loaded();
    if (!opts.tail() || opts.query().range === "custom" || gen === 0 || gen !== generation) return;
    const text = filtersAsQuery(opts.query());
    const resume = paused?.query === text ? paused.id : undefined;
    let live = false;
    const handle: TailHandle = openTail({
      query: text,
      lastEventId: resume,
      onEvent: (e) => receive(e),
      onState: (s) => {
        setTailState(s);
        if (s.status === "live" && !live) {
          live = true;
          if (!resume) void catchUp(gen);
        }
      },
    });
    onCleanup(() => {
      handle.close();
      paused = { query: text, id: handle.lastEventId };
      if (flushTimer) clearTimeout(flushTimer);
      flush();
      setTailState(null);
    });
  });

  onCleanup(() => controller?.abort());

  return {
    logs,
    total,
    cursor,
    loading,
    error,
    tookMs,
    dropped,
    tailState,
    window: searchWindow,
    more,
    retry: first,
  };
}
