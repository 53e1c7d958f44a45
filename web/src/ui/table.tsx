import { For, type JSX, Show } from "solid-js";

/** One column of a `DataTable`. */
export interface Column<T> {
  header: string;
  cell: (row: T) => JSX.Element;
  /**
   * Class of the column's cells (`time`, `msg`, `mono`, `hide-phone`, ...), or of each row's cell; the
   * header shares `hide-phone`.
   */
  class?: string | ((row: T) => string);
}

/** The class a column's header shares with its cells: `hide-phone`, when the cells have it. */
export function headerClass<T>(c: Column<T>): string | undefined {
  return typeof c.class === "string" && c.class.includes("hide-phone") ? "hide-phone" : undefined;
}

/** A header cell per column (of a `DataTable` or a `VirtualTable`). */
export function HeaderCells<T>(props: { columns: Column<T>[] }) {
  return (
    <For each={props.columns}>
      {(c) => (
        <th scope="col" class={headerClass(c)}>
          {c.header}
        </th>
      )}
    </For>
  );
}

/** Enter or Space opens a row; arrow keys (and j/k) move between rows. */
function onRowKey(e: KeyboardEvent, open: () => void) {
  const row = e.currentTarget as HTMLTableRowElement;
  if (e.key === "Enter" || e.key === " ") {
    e.preventDefault();
    open();
  } else if (e.key === "ArrowDown" || e.key === "j") {
    e.preventDefault();
    (row.nextElementSibling as HTMLElement | null)?.focus();
  } else if (e.key === "ArrowUp" || e.key === "k") {
    e.preventDefault();
    (row.previousElementSibling as HTMLElement | null)?.focus();
  }
}

/**
 * The dashboard's table: a header row, a row per item, a caption for screen readers, and in place of an
 * empty table the `empty` content. Wrapped so a wide table scrolls on its own, unless `wrap` is false
 * (Explore's results scroll with their panel).
 */
export function DataTable<T>(props: {
  rows: readonly T[];
  columns: Column<T>[];
  caption?: string;
  empty?: JSX.Element;
  wrap?: boolean;
  /** Makes rows focusable and opens one on click, Enter or Space (its details, say). */
  onOpen?: (row: T) => void;
  /** What opening the row does, for screen readers. */
  rowLabel?: (row: T) => string;
  /** Marks the row shown elsewhere (class `selected`). */
  selected?: (row: T) => boolean;
  /** Each row's data attributes, for tests and scripts: `{ alertId: 5 }` is `data-alert-id="5"`. */
  data?: (row: T) => Record<string, string | number>;
}) {
  const table = () => (
    <table>
      <Show when={props.caption}>
        <caption class="sr-only">{props.caption}</caption>
      </Show>
      <thead>
        <tr>
          <HeaderCells columns={props.columns} />
        </tr>
      </thead>
      <tbody>
        <For each={props.rows}>
          {(r) => {
            const open = props.onOpen && (() => props.onOpen?.(r));
            return (
              <tr
                ref={(el) => Object.assign(el.dataset, props.data?.(r))}
                class={open ? "clickable" : undefined}
                classList={{ selected: props.selected?.(r) === true }}
                tabindex={open ? "0" : undefined}
                aria-label={props.rowLabel?.(r)}
                onClick={open}
                onKeyDown={open && ((e) => onRowKey(e, open))}
              >
                <For each={props.columns}>
                  {(c) => <td class={typeof c.class === "function" ? c.class(r) : c.class}>{c.cell(r)}</td>}
                </For>
              </tr>
            );
          }}
        </For>
      </tbody>
    </table>
  );
  return (
    <Show when={props.rows.length > 0 || props.empty === undefined} fallback={props.empty}>
      <Show when={props.wrap !== false} fallback={table()}>
        <div class="table-wrap">{table()}</div>
      </Show>
    </Show>
  );
}
