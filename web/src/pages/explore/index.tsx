import { createMemo, createSignal, For, Show } from "solid-js";
import { EXPORT_CAP, exportLogs, filtersAsQuery, parseLogQuery } from "../../data/logs.ts";
import { withFieldTerm } from "../../data/stats.ts";
import { href, query, setQuery } from "../../router.ts";
import { download, formatNumber } from "../../ui/format.ts";
import { highlightsOf } from "../../ui/highlight.tsx";
import { useShortcut } from "../../ui/shortcut.ts";
import { Empty, ErrorState, Loading, Note } from "../../ui/states.tsx";
import { TimeZoneSwitch } from "../../ui/time-zone.tsx";
import { DetailsDrawer } from "./details-drawer.tsx";
import { FieldSidebar } from "./field-sidebar.tsx";
import { Filters } from "./filters.tsx";
import { Histogram } from "./histogram.tsx";
import { exploreView, PatternsTab } from "./patterns.tsx";
import { queryProblem } from "./query-box.tsx";
import { ResultsTable } from "./results.tsx";
import { SavedSearches } from "./saved-searches.tsx";
import { createLogSearch, TAIL_KEEP } from "./search.ts";
import { TailStatus } from "./tail-status.tsx";

/** Explore's export buttons: every matching line, not only those loaded, in either format. */
const EXPORTS = [
  { kind: "csv", title: "Every matching line" },
  { kind: "ndjson", title: "Every matching line as one JSON object per line" },
] as const;

export default function ExplorePage() {
  const q = createMemo(() => parseLogQuery(query()), undefined, {
    equals: (a, b) => JSON.stringify(a) === JSON.stringify(b),
  });
  const tail = () => query().tail === "1";
  let scroller: HTMLElement | undefined;
  let searchBox: HTMLInputElement | undefined;
  const search = createLogSearch({ query: q, tail });
  const wrap = () => query().wrap === "1";
  const highlights = createMemo(() => highlightsOf(q().q));
  const statsQuery = createMemo(() => filtersAsQuery(q()));
  /** A field's value included in (or excluded from) the query text, which the search box then shows. */
  const onFilter = (name: string, value: string, exclude: boolean) =>
    setQuery({ q: withFieldTerm(q().q, name, value, exclude) || undefined, log: undefined, ctx: undefined });
  /** The histogram's zoom or bar: that span as an absolute range. */
  const onRange = (from: number, to: number) =>
    setQuery({
      range: "custom",
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      tail: undefined,
      log: undefined,
      ctx: undefined,
    });
  const [exported, setExported] = createSignal<string | null>(null);

  // "/" focuses the search box from anywhere on the page but form fields.
  useShortcut("/", () => searchBox?.focus());

  const selected = () => query().log;
  const context = () => {
    const n = Number(query().ctx);
    return Number.isInteger(n) && n > 0 ? Math.min(n, 100) : null;
  };

  const [exporting, setExporting] = createSignal(false);
  async function exportAs(kind: "csv" | "ndjson") {
    const w = search.window();
    if (!w || exporting()) return;
    setExporting(true);
    setExported(`Exporting every matching line as ${kind.toUpperCase()}…`);
    try {
      const out = await exportLogs(q(), w, kind);
      download(out.filename, out.blob, out.blob.type);
      setExported(
        out.truncated
          ? `Exported the newest ${formatNumber(EXPORT_CAP)} of ${formatNumber(out.total)} matching lines as ${kind.toUpperCase()}: the export's cap; the file says so at its end. Narrow the query or the range for the rest.`
          : `Exported all ${formatNumber(out.total)} matching lines as ${kind.toUpperCase()}.`,
      );
    } catch (err) {
      setExported(`Export failed: ${(err as Error).message}`);
    } finally {
      setExporting(false);
    }
  }

  return (
    <section aria-labelledby="ex-title" data-view={exploreView()}>
      <h1 id="ex-title">Explore</h1>
      <Filters query={q()} searchRef={(el) => (searchBox = el)} error={search.error()} />
      <SavedSearches query={q()} />
      <PatternsTab query={q()} />

      <div class="explore-body">
        <FieldSidebar query={statsQuery()} window={search.window()} onFilter={onFilter} />
        <div class="explore-main">
          <Histogram query={statsQuery()} window={search.window()} onRange={onRange} />
          <div class="toolbar" aria-live="polite">
            <span data-testid="result-count">
              <Show when={search.total() !== null} fallback={search.loading() ? "Searching…" : ""}>
                {formatNumber(search.total())} matching {search.total() === 1 ? "line" : "lines"}
                <Show when={search.logs().length < (search.total() ?? 0)}>
                  , {formatNumber(search.logs().length)} loaded
                </Show>
                <Show when={search.tookMs() !== null}>
                  <span class="muted"> ({search.tookMs()} ms)</span>
                </Show>
              </Show>
            </span>
            <span style={{ flex: "1" }} />
            <Show when={tail()}>
              <TailStatus state={search.tailState()} />
            </Show>
            <TimeZoneSwitch />
            <button
              type="button"
              aria-pressed={wrap()}
              onClick={() => setQuery({ wrap: wrap() ? undefined : "1" }, { replace: true })}
            >
              Wrap lines
            </button>
            <Show when={q().range !== "custom"}>
              <button
                type="button"
                aria-pressed={tail()}
                onClick={() => setQuery({ tail: tail() ? undefined : "1" }, { replace: true })}
              >
                {tail() ? "❚❚ Pause live tail" : "▶ Live tail"}
              </button>
            </Show>
            <a
              class="button"
              href={href("/alerts", {
                rule: "new",
                query: q().q || "",
                service: q().services.join(",") || undefined,
                level: q().levels.join(",") || undefined,
              })}
            >
              Alert on this search
            </a>
            <For each={EXPORTS}>
              {(x) => (
                <button
                  type="button"
                  disabled={search.logs().length === 0 || exporting()}
                  onClick={() => void exportAs(x.kind)}
                  title={`${x.title}, up to ${formatNumber(EXPORT_CAP)}`}
                >
                  Export {x.kind.toUpperCase()}
                </button>
              )}
            </For>
          </div>
          <Note text={exported()} tone="quiet" testId="export-status" />

          <Show when={search.dropped() > 0}>
            <p class="notice" role="status" data-testid="tail-dropped">
              Showing the newest {formatNumber(TAIL_KEEP)} lines: {formatNumber(search.dropped())} older{" "}
              {search.dropped() === 1 ? "line was" : "lines were"} dropped from the page while tailing. Pause
              and search again to page through them.
            </p>
          </Show>

          <Show when={search.error() && !queryProblem(search.error())}>
            <ErrorState error={search.error()} retry={search.retry} />
          </Show>

          <section class="results" ref={scroller} tabindex="-1" aria-label="Results">
            <Show
              when={search.logs().length > 0}
              fallback={
                <Show
                  when={!search.loading() && !search.error()}
                  fallback={
                    <Show when={search.loading()}>
                      <Loading what="logs" />
                    </Show>
                  }
                >
                  <Empty title="No logs match these filters.">
                    <p>
                      Widen the time range, clear the level or service filters, or check the spelling of the
                      search. Search words are ANDed; use <code>or</code> between alternatives and{" "}
                      <code>-word</code> to exclude.
                    </p>
                  </Empty>
                </Show>
              }
            >
              <ResultsTable
                logs={search.logs()}
                selected={selected()}
                caption="Matching logs, newest first"
                scroller={() => scroller}
                wrap={wrap()}
                highlights={highlights()}
                onEnd={() => void search.more()}
                onOpen={(log) => setQuery({ log: log.id, ctx: undefined })}
              />
              <div class="toolbar" style={{ padding: "0.5rem" }}>
                <Show
                  when={search.cursor()}
                  fallback={
                    <span class="muted">
                      {search.dropped() > 0 ? "Older lines dropped (see above)." : "End of results."}
                    </span>
                  }
                >
                  <button type="button" disabled={search.loading()} onClick={() => void search.more()}>
                    {search.loading() ? "Loading…" : "Load older lines"}
                  </button>
                </Show>
              </div>
            </Show>
          </section>
        </div>
      </div>

      <Show when={selected()}>
        {(id) => (
          <DetailsDrawer
            id={id()}
            known={search.logs().find((l) => l.id === id())}
            context={context()}
            onContext={(n) => setQuery({ ctx: n ? String(n) : undefined })}
            onClose={() => setQuery({ log: undefined, ctx: undefined })}
            highlights={highlights()}
            onOpenLog={(id) => setQuery({ log: id, ctx: undefined })}
            onFilter={onFilter}
          />
        )}
      </Show>
    </section>
  );
}
