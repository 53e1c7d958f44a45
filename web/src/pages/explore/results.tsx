import { onCleanup, onMount } from "solid-js";
import type { LogEvent } from "../../data/logs.ts";
import { formatTime, zoneLabel } from "../../ui/format.ts";
import { Highlight, type Highlights, NO_HIGHLIGHTS } from "../../ui/highlight.tsx";
import { LevelBadge } from "../../ui/level.tsx";
import { VirtualTable } from "../../ui/virtual-table.tsx";

/** A row's height before it is measured, px (one line of 0.9rem text and its padding). */
const ROW_ESTIMATE = 29;

/** Explore's results: only the rows in view are drawn, so tens of thousands of loaded rows scroll freely. */
export function ResultsTable(props: {
  logs: LogEvent[];
  selected?: string;
  onOpen: (log: LogEvent) => void;
  /** Called when the end of the list scrolls into view (infinite scroll). */
  onEnd?: () => void;
  scroller: () => HTMLElement | undefined;
  caption: string;
  /** Long messages wrap onto more lines instead of being cut at the column's edge. */
  wrap?: boolean;
  /** The query's words, marked in the messages. */
  highlights?: Highlights;
}) {
  let sentinel!: HTMLDivElement;
  onMount(() => {
    if (typeof IntersectionObserver !== "function" || !props.onEnd) return;
    const io = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) props.onEnd?.();
      },
      { root: props.scroller() ?? null, rootMargin: "400px" },
    );
    io.observe(sentinel);
    onCleanup(() => io.disconnect());
  });
  return (
    <>
      <VirtualTable
        rows={props.logs}
        key={(log) => log.id}
        scroller={props.scroller}
        estimate={ROW_ESTIMATE}
        class={props.wrap ? "wrap" : "nowrap"}
        uniform={!props.wrap}
        caption={props.caption}
        selected={(log) => props.selected === log.id}
        onOpen={(log) => props.onOpen(log)}
        rowLabel={(log) => `${log.level} from ${log.service} at ${formatTime(log.timestamp)}: open details`}
        data={(log) => ({ id: log.id })}
        columns={[
          {
            header: `Time (${zoneLabel()})`,
            class: "time",
            width: "12.5rem",
            cell: (log) => (
              <time datetime={log.timestamp} title={log.timestamp}>
                {formatTime(log.timestamp)}
              </time>
            ),
          },
          { header: "Level", class: "lvl", width: "6.5rem", cell: (log) => <LevelBadge level={log.level} /> },
          { header: "Service", class: "svc", width: "11rem", cell: (log) => log.service },
          {
            header: "Message",
            class: "msg",
            cell: (log) => (
              <Highlight
                text={log.message.length > 2000 ? `${log.message.slice(0, 2000)}…` : log.message}
                highlights={props.highlights ?? NO_HIGHLIGHTS}
              />
            ),
          },
          {
            header: "Correlation ID",
            class: "mono hide-phone",
            width: "12rem",
            cell: (log) => log.correlation_id ?? "",
          },
        ]}
      />
      <div ref={sentinel} aria-hidden="true" style={{ height: "1px" }} />
    </>
  );
}
