import { createMemo, createResource, createSignal, For, Show } from "solid-js";
import { LEVELS, type Level } from "../../data/logs.ts";
import { histogramInterval, levelHistogram, type Stats, type Window } from "../../data/stats.ts";
import { formatNumber, formatTime } from "../../ui/format.ts";
import { LEVEL_COLORS } from "../../ui/level.tsx";

/** One bar: its start, and each level's count. */
export interface Bar {
  start: number;
  counts: Record<Level, number>;
  total: number;
}

/** The stats answer (by level, in buckets) as bars, oldest first. */
export function barsOf(stats: Stats): Bar[] {
  const bars = new Map<number, Bar>();
  for (const b of stats.buckets) {
    if (!b.start) continue;
    const start = Date.parse(b.start);
    let bar = bars.get(start);
    if (!bar) {
      bar = { start, counts: { DEBUG: 0, INFO: 0, WARNING: 0, ERROR: 0, CRITICAL: 0 }, total: 0 };
      bars.set(start, bar);
    }
    const level = b.group.level as Level | null | undefined;
    const n = b.values.count ?? 0;
    if (level && level in bar.counts) bar.counts[level] += n;
    bar.total += n;
  }
  return [...bars.values()].sort((a, b) => a.start - b.start);
}

const W = 1000;
const H = 100;

/**
 * The current query's matches over its window, a bar per interval (chosen from the window's length),
 * stacked by level. Drag across it to zoom to that span; click a bar for its interval alone. Its total
 * is the search's: the same query, filters and window.
 */
export function Histogram(props: {
  query: string;
  window: Window | null;
  onRange: (from: number, to: number) => void;
}) {
  const interval = () => histogramInterval(props.window ? props.window.to - props.window.from : 3_600_000);
  const [stats] = createResource(
    () => (props.window ? { q: props.query, w: props.window, i: interval().text } : null),
    (k) => levelHistogram(k.q, k.w, k.i),
  );
  // Reading a failed resource throws (to the page's error boundary): its error is checked first.
  const latest = () => (stats.error ? undefined : stats.latest);
  const bars = createMemo(() => {
    const s = latest();
    return s ? barsOf(s) : [];
  });
  const max = () => Math.max(1, ...bars().map((b) => b.total));
  const span = () => {
    const w = props.window!;
    return { from: w.from, to: w.to, len: Math.max(1, w.to - w.from) };
  };
  const x = (t: number) => ((t - span().from) / span().len) * W;
  const timeAt = (px: number, width: number) =>
    span().from + (Math.max(0, Math.min(width, px)) / width) * span().len;

  const [drag, setDrag] = createSignal<{ x0: number; x1: number } | null>(null);
  let svg!: SVGSVGElement;
  const localX = (e: PointerEvent) => e.clientX - svg.getBoundingClientRect().left;

  function finish(e: PointerEvent) {
    const d = drag();
    setDrag(null);
    if (!d || !props.window) return;
    const width = svg.getBoundingClientRect().width || W;
    const x1 = localX(e);
    if (Math.abs(x1 - d.x0) < 4) {
      // A click: the bar under it.
      const t = timeAt(x1, width);
      const bar = bars().find((b) => t >= b.start && t < b.start + interval().ms);
      if (bar)
        props.onRange(Math.max(span().from, bar.start), Math.min(span().to, bar.start + interval().ms));
      return;
    }
    const a = timeAt(Math.min(d.x0, x1), width);
    const b = timeAt(Math.max(d.x0, x1), width);
    props.onRange(Math.floor(a / 1000) * 1000, Math.ceil(b / 1000) * 1000);
  }

  const label = () =>
    latest()
      ? `Histogram of ${formatNumber(latest()!.total)} matching logs by level, one bar per ${interval().text}, from ${formatTime(span().from)} to ${formatTime(span().to)}. Drag to zoom, click a bar to narrow to it.`
      : "Histogram of matching logs by level (loading)";

  return (
    <Show when={props.window}>
      <div class="histogram" data-testid="histogram">
        <div class="histogram-head muted">
          <span data-testid="histogram-total">
            <Show when={latest()} fallback={stats.error ? "Histogram unavailable" : "Counting…"}>
              {(s) => <>{formatNumber(s().total)} matching</>}
            </Show>
          </span>
          <span>· {interval().text} bars · drag to zoom, click a bar</span>
        </div>
        <svg
          ref={svg}
          role="img"
          aria-label={label()}
          viewBox={`0 0 ${W} ${H}`}
          preserveAspectRatio="none"
          onPointerDown={(e) => {
            svg.setPointerCapture?.(e.pointerId);
            const x0 = localX(e);
            setDrag({ x0, x1: x0 });
          }}
          onPointerMove={(e) => {
            const d = drag();
            if (d) setDrag({ x0: d.x0, x1: localX(e) });
          }}
          onPointerUp={finish}
          onPointerCancel={() => setDrag(null)}
        >
          <For each={bars()}>
            {(bar) => {
              const bx = () => x(bar.start);
              const bw = () => Math.max(1, x(bar.start + interval().ms) - bx() - 1);
              let y = H;
              return (
                <g>
                  <title>
                    {formatTime(bar.start)}: {formatNumber(bar.total)}
                  </title>
                  <For each={LEVELS.filter((l) => bar.counts[l] > 0)}>
                    {(l) => {
                      const h = (bar.counts[l] / max()) * (H - 2);
                      y -= h;
                      return <rect x={bx()} y={y} width={bw()} height={h} fill={LEVEL_COLORS[l]} />;
                    }}
                  </For>
                </g>
              );
            }}
          </For>
          <Show when={drag()}>
            {(d) => {
              const width = () => svg.getBoundingClientRect().width || W;
              const sx = () => (Math.min(d().x0, d().x1) / width()) * W;
              const sw = () => (Math.abs(d().x1 - d().x0) / width()) * W;
              return <rect class="histogram-drag" x={sx()} y={0} width={sw()} height={H} />;
            }}
          </Show>
        </svg>
        <div class="histogram-axis muted">
          <span>{formatTime(span().from)}</span>
          <span>{formatTime(span().to)}</span>
        </div>
      </div>
    </Show>
  );
}
