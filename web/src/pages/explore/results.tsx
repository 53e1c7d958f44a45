import { For, onCleanup, onMount } from "solid-js";
import type { LogEvent } from "../../data/logs.ts";
import { formatTime } from "../../ui/format.ts";
import { LevelBadge } from "../../ui/level.tsx";

/** Arrow keys move between rows; Enter or Space opens one. */
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

export function ResultsTable(props: {
  logs: LogEvent[];
  selected?: string;
  onOpen: (log: LogEvent) => void;
  /** Called when the end of the list scrolls into view (infinite scroll). */
  onEnd?: () => void;
  scroller?: () => HTMLElement | undefined;
  caption: string;
}) {
  let sentinel!: HTMLDivElement;
  onMount(() => {
    if (typeof IntersectionObserver !== "function" || !props.onEnd) return;
    const io = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) props.onEnd?.();
      },
      { root: props.scroller?.() ?? null, rootMargin: "400px" },
    );
    io.observe(sentinel);
    onCleanup(() => io.disconnect());
  });
  return (
    <>
      <table>
        <caption class="sr-only">{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Level</th>
            <th scope="col">Service</th>
            <th scope="col">Message</th>
            <th scope="col" class="hide-phone">
              Correlation ID
            </th>
          </tr>
        </thead>
        <tbody>
          <For each={props.logs}>
            {(log) => (
              <tr
                class="clickable"
                classList={{ selected: props.selected === log.id }}
                tabindex="0"
                data-id={log.id}
                aria-label={`${log.level} from ${log.service} at ${formatTime(log.timestamp)}: open details`}
                onClick={() => props.onOpen(log)}
                onKeyDown={(e) => onRowKey(e, () => props.onOpen(log))}
              >
                <td class="time">
                  <time datetime={log.timestamp}>{formatTime(log.timestamp)}</time>
                </td>
                <td>
                  <LevelBadge level={log.level} />
                </td>
                <td>{log.service}</td>
                <td class="msg">
                  {log.message.length > 500 ? `${log.message.slice(0, 500)}…` : log.message}
                </td>
                <td class="mono hide-phone">{log.correlation_id ?? ""}</td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
      <div ref={sentinel} aria-hidden="true" style={{ height: "1px" }} />
    </>
  );
}
