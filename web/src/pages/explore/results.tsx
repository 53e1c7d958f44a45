import { onCleanup, onMount } from "solid-js";
import type { LogEvent } from "../../data/logs.ts";
import { formatTime } from "../../ui/format.ts";
import { LevelBadge } from "../../ui/level.tsx";
import { DataTable } from "../../ui/table.tsx";

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
      <DataTable
        rows={props.logs}
        caption={props.caption}
        wrap={false}
        selected={(log) => props.selected === log.id}
        onOpen={(log) => props.onOpen(log)}
        rowLabel={(log) => `${log.level} from ${log.service} at ${formatTime(log.timestamp)}: open details`}
        data={(log) => ({ id: log.id })}
        columns={[
          {
            header: "Time",
            class: "time",
            cell: (log) => <time datetime={log.timestamp}>{formatTime(log.timestamp)}</time>,
          },
          { header: "Level", cell: (log) => <LevelBadge level={log.level} /> },
          { header: "Service", cell: (log) => log.service },
          {
            header: "Message",
            class: "msg",
            cell: (log) => (log.message.length > 500 ? `${log.message.slice(0, 500)}…` : log.message),
          },
          { header: "Correlation ID", class: "mono hide-phone", cell: (log) => log.correlation_id ?? "" },
        ]}
      />
      <div ref={sentinel} aria-hidden="true" style={{ height: "1px" }} />
    </>
  );
}
