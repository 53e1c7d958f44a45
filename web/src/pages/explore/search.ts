import { type Accessor, createEffect, createSignal, on, onCleanup } from "solid-js";
import { ApiError } from "../../data/api.ts";
import { type LogEvent, type LogQuery, searchLogs, searchParams, windowOf } from "../../data/logs.ts";

const PAGE = 100;
const TAIL_MS = 2_000;

/**
 * Explore's results: the first page whenever the filters change, older pages by cursor on demand, and
 * (while tailing) newer lines polled and put on top without moving what the reader is looking at.
 */
export function createLogSearch(opts: {
  query: Accessor<LogQuery>;
  tail: Accessor<boolean>;
  /** The scrolling element whose position must survive lines added above. */
  scroller: () => HTMLElement | undefined;
}) {
  const [logs, setLogs] = createSignal<LogEvent[]>([]);
  const [total, setTotal] = createSignal<number | null>(null);
  const [cursor, setCursor] = createSignal<string | null>(null);
  const [loading, setLoading] = createSignal(false);
  const [error, setError] = createSignal<unknown>(null);
  const [tookMs, setTookMs] = createSignal<number | null>(null);
  let win: { from?: number; to?: number } = {};
  let generation = 0;
  let controller: AbortController | undefined;
  const seen = new Set<string>();
  /** Polls to skip after the API said 429 (search allows 50 a minute per user; tailing uses 30). */
  let backoff = 0;

  async function first() {
    const gen = ++generation;
    controller?.abort();
    controller = new AbortController();
    win = windowOf(opts.query());
    seen.clear();
    setLogs([]);
    setTotal(null);
    setCursor(null);
    setError(null);
    setLoading(true);
    try {
      const page = await searchLogs(searchParams(opts.query(), win, { limit: PAGE }), controller.signal);
      if (gen !== generation) return;
      for (const l of page.logs) seen.add(l.id);
      setLogs(page.logs);
      setTotal(page.total);
      setCursor(page.next_cursor);
      setTookMs(page.took_ms);
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
      const page = await searchLogs(searchParams(opts.query(), win, { limit: PAGE, cursor: c }));
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

  async function poll() {
    const gen = generation;
    const newest = logs()[0]?.timestamp;
    const from = newest ? Date.parse(newest) : win.from;
    try {
      const page = await searchLogs(searchParams(opts.query(), { from }, { limit: 500 }));
      if (gen !== generation) return;
      const fresh = page.logs.filter((l) => !seen.has(l.id));
      if (fresh.length === 0) return;
      for (const l of fresh) seen.add(l.id);
      const el = opts.scroller();
      const before = el ? el.scrollHeight : 0;
      const top = el ? el.scrollTop : 0;
      setLogs((prev) => [...fresh, ...prev]); // Solid updates the DOM synchronously here
      setTotal((t) => (t ?? 0) + fresh.length);
      // Reading further down: keep the same lines in view by moving down as much as was added above.
      if (el && top > 0) el.scrollTop = top + (el.scrollHeight - before);
    } catch (err) {
      // A missed poll is retried on a later tick; the error state is for searches the user asked for.
      if (err instanceof ApiError && err.status === 429) backoff = 10;
    }
  }

  createEffect(on(() => JSON.stringify(opts.query()), first));

  createEffect(() => {
    if (!opts.tail() || opts.query().range === "custom") return;
    const timer = setInterval(() => {
      if (backoff > 0) backoff--;
      else if (!loading()) void poll();
    }, TAIL_MS);
    onCleanup(() => clearInterval(timer));
  });

  onCleanup(() => controller?.abort());

  return { logs, total, cursor, loading, error, tookMs, more, retry: first, poll };
}
