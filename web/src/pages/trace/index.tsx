import { createResource, createSignal, For, Show } from "solid-js";
import { trace } from "../../data/trace.ts";
import { href, location, navigate } from "../../router.ts";
import { TextField } from "../../ui/fields.tsx";
import { formatNumber, formatTime } from "../../ui/format.ts";
import { LEVEL_COLORS, LevelBadge } from "../../ui/level.tsx";
import { Empty, ErrorState, Loading } from "../../ui/states.tsx";
import { DataTable } from "../../ui/table.tsx";

/** "+1.234 s" from the trace's first line. */
function offset(ms: number): string {
  return ms < 1000 ? `+${ms} ms` : `+${(ms / 1000).toFixed(3)} s`;
}

export default function TracePage() {
  const id = () => {
    const raw = location().path.slice("/trace/".length);
    try {
      return raw ? decodeURIComponent(raw) : "";
    } catch {
      return "";
    }
  };
  const [input, setInput] = createSignal(id());
  const [data] = createResource(() => id() || null, trace);

  return (
    <section aria-labelledby="tr-title">
      <h1 id="tr-title">Trace</h1>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          const v = input().trim();
          if (v) navigate(`/trace/${encodeURIComponent(v)}`);
        }}
      >
        <TextField
          label="Correlation ID"
          value={input()}
          onValue={setInput}
          placeholder="e.g. txn-42"
          style={{ flex: "1 1 20rem" }}
        />
        <button type="submit" class="primary">
          Show trace
        </button>
      </form>

      <Show when={!id()}>
        <Empty title="Enter a correlation id to follow one request across services.">
          <p>
            Every log line that carries the same <code>correlation_id</code> (or the{" "}
            <code>X-Correlation-ID</code> header) is part of one trace. Open a log in Explore and follow its
            “Trace” link, or paste an id above.
          </p>
        </Empty>
      </Show>
      <Show when={data.loading}>
        <Loading what="trace" />
      </Show>
      <Show when={data.error}>
        <ErrorState error={data.error} />
      </Show>
      <Show when={id() && data.latest}>
        {(_) => {
          const t = () => data.latest!;
          const start = () => Date.parse(t().first_seen);
          const span = () => Math.max(1, t().duration_ms);
          return (
            <>
              <p>
                <strong>{formatNumber(t().total)}</strong> lines across <strong>{t().services.length}</strong>{" "}
                services over <strong>{formatNumber(t().duration_ms)} ms</strong>, from{" "}
                {formatTime(t().first_seen)}.
                <Show when={t().truncated}> Only the first {t().logs.length} lines are shown.</Show>
              </p>
              <ul class="panel lanes" aria-label="Timeline by service">
                <For each={t().services}>
                  {(s) => (
                    <li class="lane">
                      <div>
                        <strong>{s.service}</strong> <span class="muted">({s.count})</span>
                      </div>
                      <div class="lane-track">
                        <For each={t().logs.filter((l) => l.service === s.service)}>
                          {(l) => (
                            <a
                              class="lane-dot"
                              href={href("/explore", { service: l.service, range: "7d", log: l.id })}
                              style={{
                                left: `${((Date.parse(l.timestamp) - start()) / span()) * 100}%`,
                                background: LEVEL_COLORS[l.level],
                              }}
                              title={`${l.level} ${offset(Date.parse(l.timestamp) - start())}: ${l.message}`}
                            >
                              <span class="sr-only">
                                {l.level} at {offset(Date.parse(l.timestamp) - start())}: {l.message}
                              </span>
                            </a>
                          )}
                        </For>
                      </div>
                    </li>
                  )}
                </For>
              </ul>
              <h2>Lines, oldest first</h2>
              <DataTable
                rows={t().logs}
                columns={[
                  {
                    header: "Offset",
                    class: "time",
                    cell: (l) => (
                      <span title={formatTime(l.timestamp)}>{offset(Date.parse(l.timestamp) - start())}</span>
                    ),
                  },
                  { header: "Service", cell: (l) => l.service },
                  { header: "Level", cell: (l) => <LevelBadge level={l.level} /> },
                  {
                    header: "Message",
                    class: "msg",
                    cell: (l) => (
                      <a href={href("/explore", { service: l.service, range: "7d", log: l.id })}>
                        {l.message}
                      </a>
                    ),
                  },
                ]}
              />
              <Show when={t().hops.length > 0}>
                <h2>Hops between services</h2>
                <ul>
                  <For each={t().hops}>
                    {(h) => (
                      <li>
                        {h.from} → {h.to} after {formatNumber(h.gap_ms)} ms{" "}
                        <span class="muted">({formatTime(h.at)})</span>
                      </li>
                    )}
                  </For>
                </ul>
              </Show>
            </>
          );
        }}
      </Show>
    </section>
  );
}
