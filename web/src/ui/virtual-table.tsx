import { createEffect, createMemo, createSignal, For, on, onCleanup, onMount, Show } from "solid-js";
import { type Column, HeaderCells, headerClass } from "./table.tsx";
import { rowAt, rowOffsets, visibleRange } from "./virtual.ts";

/** A column of a `VirtualTable`: a `DataTable` column with a fixed width (the layout must not jump). */
export interface VirtualColumn<T> extends Column<T> {
  /** CSS width of the column (`11rem`); the column without one takes the rest. */
  width?: string;
}

/** Rows drawn beyond each edge of the viewport, so a fast scroll does not show blank space. */
const OVERSCAN = 12;
/** Viewport assumed before the page has been laid out (and in DOMs without layout). */
const FALLBACK_VIEW = 800;

/**
 * A table that draws only the rows in view (and a few around them) between two spacer rows, so
 * 10,000 loaded rows cost what 50 do. Rows are measured once drawn (wrapped messages make them taller);
 * rows not yet drawn count as `estimate` px. The rows in view stay where they are when rows are
 * added above them (a live tail), unless the reader is at the very top, where the new rows show.
 * Keyboard: arrows or j/k move between rows (scrolling them in), Home/End jump, Enter or Space opens.
 */
export function VirtualTable<T>(props: {
  rows: readonly T[];
  key: (row: T) => string;
  columns: VirtualColumn<T>[];
  /** The element that scrolls the table (the page scrolls too: both are followed). */
  scroller: () => HTMLElement | undefined;
  estimate: number;
  /** Every row has the same height (no wrapping): measured once, not while scrolling. */
  uniform?: boolean;
  caption?: string;
  class?: string;
  onOpen?: (row: T) => void;
  rowLabel?: (row: T) => string;
  selected?: (row: T) => boolean;
  data?: (row: T) => Record<string, string | number>;
}) {
  let tbody!: HTMLTableSectionElement;
  const heights = new Map<string, number>();
  const [version, setVersion] = createSignal(0);
  const [typical, setTypical] = createSignal<number | null>(null);
  const [view, setView] = createSignal({ top: 0, height: FALLBACK_VIEW });

  const layout = createMemo(() => {
    version();
    const keys = props.rows.map(props.key);
    return { keys, offsets: rowOffsets(keys, heights, typical() ?? props.estimate) };
  });
  const range = createMemo(
    () => {
      const v = view();
      return visibleRange(layout().offsets, v.top, v.height, OVERSCAN);
    },
    undefined,
    { equals: (a, b) => a.start === b.start && a.end === b.end },
  );
  const shown = createMemo(() => props.rows.slice(range().start, range().end));
  const total = () => layout().offsets[layout().keys.length] ?? 0;
  const before = () => layout().offsets[range().start] ?? 0;
  const after = () => total() - (layout().offsets[range().end] ?? total());

  /** Where the viewport (the scroller's box within the window) falls, in px from the first row. */
  function measureView() {
    const el = props.scroller();
    if (!tbody) return;
    const body = tbody.getBoundingClientRect();
    const box = el?.getBoundingClientRect();
    const winH = window.innerHeight || FALLBACK_VIEW;
    const viewTop = Math.max(0, box ? box.top : 0);
    const viewBottom = Math.min(winH, box && box.height > 0 ? box.bottom : winH);
    // No layout (happy-dom) gives zero-sized boxes: show the first rows.
    const height = body.height === 0 && body.top === 0 ? FALLBACK_VIEW : Math.max(0, viewBottom - viewTop);
    const top = viewTop - body.top;
    const v = view();
    if (Math.abs(v.top - top) >= 1 || Math.abs(v.height - height) >= 1) setView({ top, height });
  }

  /**
   * Record the heights of the rows drawn; a change re-lays out the rows below them. The first row
   * measured sets the typical height; only rows of another height (wrapped messages) are kept apart,
   * so unwrapped rows, all of one height, never re-lay out the list while it scrolls.
   */
  function measureRows() {
    if (props.uniform && typical() !== null && heights.size === 0) return;
    let changed = false;
    for (const tr of tbody.querySelectorAll<HTMLTableRowElement>(":scope > tr[data-key]")) {
      const h = tr.getBoundingClientRect().height;
      if (h <= 0) continue;
      if (typical() === null) {
        setTypical(h);
        changed = true;
      }
      const k = tr.dataset.key!;
      const known = heights.get(k);
      if (Math.abs(h - (typical() ?? h)) <= 0.5) {
        if (known !== undefined) {
          heights.delete(k);
          changed = true;
        }
      } else if (known === undefined || Math.abs(known - h) > 0.5) {
        heights.set(k, h);
        changed = true;
      }
    }
    if (changed) setVersion((v) => v + 1);
  }

  /** Scroll by `dy` px: the scroller when it scrolls, else the page. */
  function scrollBy(dy: number) {
    const el = props.scroller();
    if (el && el.scrollHeight > el.clientHeight) el.scrollTop += dy;
    else window.scrollBy(0, dy);
  }

  // The row at the top of the view: what stays in place when rows are added above it or measured.
  let anchor: { key: string; offset: number } | null = null;
  function captureAnchor() {
    const l = layout();
    const i = rowAt(l.offsets, Math.max(0, view().top));
    const key = l.keys[i];
    anchor = key === undefined ? null : { key, offset: l.offsets[i]! };
  }
  createEffect(
    on(layout, (l, prev) => {
      const i = anchor ? l.keys.indexOf(anchor.key) : -1;
      if (prev && anchor && i >= 0 && view().top > 0) {
        const dy = l.offsets[i]! - anchor.offset;
        if (Math.abs(dy) >= 1) scrollBy(dy);
      }
      measureView();
      captureAnchor();
    }),
  );
  // Solid may move a drawn row's element when the drawn range shifts, which takes focus from it: the
  // focused row (by key) gets it back.
  let focused: string | null = null;
  createEffect(
    on(shown, () => {
      measureRows();
      if (focused === null || (document.activeElement && document.activeElement !== document.body)) return;
      tbody.querySelector<HTMLElement>(`:scope > tr[data-key="${CSS.escape(focused)}"]`)?.focus({
        preventScroll: true,
      });
    }),
  );
  onMount(() => {
    const el = props.scroller();
    const onScroll = () => {
      measureView();
      captureAnchor();
    };
    el?.addEventListener("scroll", onScroll, { passive: true });
    window.addEventListener("scroll", onScroll, { passive: true });
    window.addEventListener("resize", onScroll);
    let ro: ResizeObserver | undefined;
    if (typeof ResizeObserver === "function" && el) {
      ro = new ResizeObserver(() => {
        measureView();
        measureRows();
      });
      ro.observe(el);
    }
    measureView();
    onCleanup(() => {
      el?.removeEventListener("scroll", onScroll);
      window.removeEventListener("scroll", onScroll);
      window.removeEventListener("resize", onScroll);
      ro?.disconnect();
    });
  });

  /** Focus row `i`, scrolling it in first when it is not drawn. */
  function focusRow(i: number) {
    const n = props.rows.length;
    if (n === 0) return;
    const target = Math.max(0, Math.min(n - 1, i));
    const find = () => tbody.querySelector<HTMLElement>(`:scope > tr[data-index="${target}"]`);
    if (!find()) {
      const l = layout();
      scrollBy(l.offsets[target]! - view().top - view().height / 3);
      measureView();
    }
    find()?.focus();
  }

  function onKey(e: KeyboardEvent, i: number, row: T) {
    const page = Math.max(1, Math.floor(view().height / (typical() ?? props.estimate)) - 1);
    const moves: Record<string, number> = {
      ArrowDown: i + 1,
      j: i + 1,
      ArrowUp: i - 1,
      k: i - 1,
      PageDown: i + page,
      PageUp: i - page,
      Home: 0,
      End: props.rows.length - 1,
    };
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      props.onOpen?.(row);
    } else if (e.key in moves) {
      e.preventDefault();
      focusRow(moves[e.key]!);
    }
  }

  const spacer = (h: () => number) => (
    <Show when={h() > 0}>
      {/* biome-ignore lint/a11y/noAriaHiddenOnFocusable: an empty spacer row, never focused */}
      <tr aria-hidden="true" class="spacer" style={{ height: `${h()}px` }} />
    </Show>
  );

  return (
    <table class={`virtual ${props.class ?? ""}`} aria-rowcount={props.rows.length + 1}>
      <Show when={props.caption}>
        <caption class="sr-only">{props.caption}</caption>
      </Show>
      <colgroup>
        <For each={props.columns}>
          {(c) => <col class={headerClass(c)} style={c.width ? { width: c.width } : undefined} />}
        </For>
      </colgroup>
      <thead>
        <tr aria-rowindex={1}>
          <HeaderCells columns={props.columns} />
        </tr>
      </thead>
      <tbody
        ref={tbody}
        onFocusIn={(e) => {
          const key = (e.target as HTMLElement).dataset?.key;
          if (key) focused = key;
        }}
        onFocusOut={(e) => {
          const next = e.relatedTarget as Node | null;
          if (next && !tbody.contains(next)) focused = null;
        }}
      >
        {spacer(before)}
        <For each={shown()}>
          {(r, i) => {
            const index = () => range().start + i();
            const open = props.onOpen && (() => props.onOpen?.(r));
            return (
              <tr
                ref={(el) => Object.assign(el.dataset, props.data?.(r))}
                data-key={props.key(r)}
                data-index={index()}
                aria-rowindex={index() + 2}
                class={open ? "clickable" : undefined}
                classList={{ selected: props.selected?.(r) === true }}
                tabindex={open ? "0" : undefined}
                aria-label={props.rowLabel?.(r)}
                onClick={open}
                onKeyDown={(e) => onKey(e, index(), r)}
              >
                <For each={props.columns}>
                  {(c) => <td class={typeof c.class === "function" ? c.class(r) : c.class}>{c.cell(r)}</td>}
                </For>
              </tr>
            );
          }}
        </For>
        {spacer(after)}
      </tbody>
    </table>
  );
}
