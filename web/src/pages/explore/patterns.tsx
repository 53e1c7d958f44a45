import { createResource, Show } from "solid-js";
import { type LogQuery, windowOf } from "../../data/logs.ts";
import { fetchPatterns, type PatternSummary, patternFilter } from "../../data/patterns.ts";
import { query, setQuery } from "../../router.ts";
import { formatNumber, formatTime } from "../../ui/format.ts";
import { PatternTemplate } from "../../ui/pattern-template.tsx";
import { Sparkline } from "../../ui/sparkline.tsx";
import { Empty, ErrorState, Loading } from "../../ui/states.tsx";
import { DataTable } from "../../ui/table.tsx";

/** Which of Explore's views the URL asks for (`view=patterns`, else the log lines). */
export function exploreView(): "logs" | "patterns" {
  return query().view === "patterns" ? "patterns" : "logs";
}

/**
 * Explore's tabs (log lines / patterns) and, on the patterns tab, the patterns of the filtered events:
 * each template with its variables marked, its count and share, a sparkline over the range, and "new"
 * when first seen in it. Opening a pattern shows its lines (the search box gets `pattern:<id>`).
 */
export function PatternsTab(props: { query: LogQuery }) {
  const [data, { refetch }] = createResource(
    () => (exploreView() === "patterns" ? JSON.stringify(props.query) : null),
    () => fetchPatterns(props.query, windowOf(props.query)),
  );
  const open = (p: PatternSummary) => setQuery({ view: undefined, q: patternFilter(p.id), log: undefined });
  return (
    <>
      <div class="tabs" role="tablist" aria-label="Explore views">
        <button
          type="button"
          role="tab"
          aria-selected={exploreView() === "logs"}
          onClick={() => setQuery({ view: undefined }, { replace: true })}
        >
          Log lines
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={exploreView() === "patterns"}
          data-testid="patterns-tab"
          onClick={() => setQuery({ view: "patterns", tail: undefined }, { replace: true })}
        >
          Patterns
        </button>
      </div>
      <Show when={exploreView() === "patterns"}>
        <div role="tabpanel" aria-label="Patterns" data-testid="patterns">
          <Show when={!data.error} fallback={<ErrorState error={data.error} retry={refetch} />}>
            <Show when={data()} fallback={<Loading what="patterns" />}>
              {(list) => (
                <>
                  <p class="muted" data-testid="pattern-count">
                    {formatNumber(list().patterns.length)} patterns in {formatNumber(list().total)} matching
                    lines
                    <Show when={list().without_pattern > 0}>
                      {" "}
                      ({formatNumber(list().without_pattern)} stored before patterns were mined)
                    </Show>
                  </p>
                  <DataTable
                    rows={list().patterns}
                    caption="Patterns of the matching lines, largest first"
                    empty={
                      <Empty title="No patterns in these lines.">
                        <p>Widen the time range or clear a filter.</p>
                      </Empty>
                    }
                    onOpen={open}
                    rowLabel={(p) => `Show the ${p.count} lines of this pattern`}
                    data={(p) => ({ pattern: p.id })}
                    columns={[
                      {
                        header: "Pattern",
                        class: "msg",
                        cell: (p) => (
                          <>
                            <PatternTemplate template={p.template} />
                            <Show when={p.new}>
                              <span class="badge-new">new</span>
                            </Show>
                            <div class="muted">{p.service}</div>
                          </>
                        ),
                      },
                      { header: "Lines", cell: (p) => formatNumber(p.count) },
                      { header: "Share", cell: (p) => `${formatNumber(Math.round(p.share * 1000) / 10)} %` },
                      {
                        header: "Over time",
                        class: "hide-phone",
                        cell: (p) => (
                          <Sparkline values={p.sparkline} label={`${p.count} lines over the range`} />
                        ),
                      },
                      {
                        header: "First seen",
                        class: "time hide-phone",
                        cell: (p) => formatTime(p.first_seen),
                      },
                    ]}
                  />
                </>
              )}
            </Show>
          </Show>
        </div>
      </Show>
    </>
  );
}
