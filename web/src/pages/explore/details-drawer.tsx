import { createResource, createSignal, For, onCleanup, onMount, Show } from "solid-js";
import { COLUMN_FIELDS } from "../../../../core/query/ast.ts";
import { getLog, type LogEvent, logContext } from "../../data/logs.ts";
import { href } from "../../router.ts";
import { FilterButtons, type OnFilter } from "../../ui/filter-buttons.tsx";
import { formatTime } from "../../ui/format.ts";
import { Highlight, type Highlights, NO_HIGHLIGHTS } from "../../ui/highlight.tsx";
import { LevelBadge } from "../../ui/level.tsx";
import { ErrorState, Loading, Note } from "../../ui/states.tsx";

const CONTEXT_SIZES = [5, 10, 25, 50, 100];
/**
 * The event's own fields a query can test, as the query language names them (an attribute of the same
 * name is then `attributes.<name>`); any other attribute can be tested by its name.
 */
const FILTERABLE = new Set<string>(COLUMN_FIELDS);

/**
 * Every field of one log, and (on request) the lines just before and after it from the same service.
 * A modal dialog: focus moves in on open, Escape closes, focus returns to the row.
 */
export function DetailsDrawer(props: {
  id: string;
  /** The log when it is among the loaded results; fetched by id otherwise (a shared link). */
  known?: LogEvent;
  context: number | null;
  onContext: (n: number | null) => void;
  onClose: () => void;
  /** The query's words, marked in the message. */
  highlights?: Highlights;
  /** Open another log (a surrounding line) in the drawer. */
  onOpenLog?: (id: string) => void;
  /** Include (or exclude) a field's value in the query. */
  onFilter?: OnFilter;
}) {
  const filterButtons = (name: string, value: string) => (
    <Show when={props.onFilter}>
      {(onFilter) => (
        <span class="filter-buttons">
          <FilterButtons name={name} value={value} onFilter={onFilter()} />
        </span>
      )}
    </Show>
  );
  const [copied, setCopied] = createSignal<string | null>(null);
  async function copy(what: string, text: string) {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(`${what} copied.`);
    } catch {
      setCopied(`Could not copy the ${what.toLowerCase()}: select it below and copy it by hand.`);
    }
  }
  /** A link that opens this line, with the ten minutes around it as an absolute range. */
  const lineLink = (l: LogEvent) => {
    const t = Date.parse(l.timestamp);
    return `${window.location.origin}${href("/explore", {
      log: l.id,
      service: l.service,
      range: "custom",
      from: new Date(t - 5 * 60_000).toISOString(),
      to: new Date(t + 5 * 60_000).toISOString(),
    })}`;
  };
  const [log] = createResource(
    () => props.id,
    (id) => (props.known?.id === id ? props.known : getLog(id)),
  );
  const [ctx] = createResource(
    () => (props.context ? { id: props.id, n: props.context } : null),
    (k) => logContext(k.id, k.n),
  );
  let panel!: HTMLElement;
  let closeButton!: HTMLButtonElement;
  const opener = document.activeElement as HTMLElement | null;

  onMount(() => {
    // Read now: when the drawer closes, its props belong to a branch that no longer exists.
    const id = props.id;
    const close = props.onClose;
    closeButton.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        e.preventDefault();
        close();
      } else if (e.key === "Tab") {
        // Modal: Tab cycles within the drawer.
        const items = [
          ...panel.querySelectorAll<HTMLElement>(
            "a[href], button:not([disabled]), select, input, [tabindex='0']",
          ),
        ];
        const first = items[0];
        const last = items[items.length - 1];
        if (!first || !last) return;
        const inside = panel.contains(document.activeElement);
        if (e.shiftKey && (document.activeElement === first || !inside)) {
          e.preventDefault();
          last.focus();
        } else if (!e.shiftKey && (document.activeElement === last || !inside)) {
          e.preventDefault();
          first.focus();
        }
      }
    };
    document.addEventListener("keydown", onKey);
    onCleanup(() => {
      document.removeEventListener("keydown", onKey);
      const row = document.querySelector<HTMLElement>(`tr[data-id="${CSS.escape(id)}"]`);
      (row ?? opener)?.focus?.();
    });
  });

  return (
    <aside class="drawer" role="dialog" aria-modal="true" aria-labelledby="drawer-title" ref={panel}>
      <div class="drawer-head">
        <h2 id="drawer-title" style={{ margin: 0 }}>
          Log details
        </h2>
        <button
          type="button"
          ref={closeButton}
          onClick={() => props.onClose()}
          aria-label="Close details (Escape)"
        >
          Close ✕
        </button>
      </div>
      <Show when={log.error}>
        <ErrorState error={log.error} />
      </Show>
      <Show when={log.loading}>
        <Loading what="log" />
      </Show>
      <Show when={log()}>
        {(l) => (
          <>
            <p class="msg mono" style={{ "white-space": "pre-wrap", "word-break": "break-word" }}>
              <Highlight text={l().message} highlights={props.highlights ?? NO_HIGHLIGHTS} />
            </p>
            <dl data-testid="log-fields">
              <For each={Object.entries(l()).filter(([k]) => k !== "attributes" && k !== "message")}>
                {([k, v]) => (
                  <>
                    <dt>{k}</dt>
                    <dd class={k === "id" || k.endsWith("_id") ? "mono" : undefined}>
                      {k === "level" ? (
                        <LevelBadge level={l().level} />
                      ) : k === "timestamp" || k === "received_at" ? (
                        <>
                          {formatTime(String(v))} <span class="muted mono">{String(v)}</span>
                        </>
                      ) : v === null || v === undefined ? (
                        <span class="muted">–</span>
                      ) : (
                        String(typeof v === "object" ? JSON.stringify(v) : v)
                      )}
                      {FILTERABLE.has(k) && v !== null && v !== undefined
                        ? filterButtons(k, String(v))
                        : null}
                    </dd>
                  </>
                )}
              </For>
              <For each={Object.entries(l().attributes ?? {})}>
                {([k, v]) => (
                  <>
                    <dt>attributes.{k}</dt>
                    <dd class="mono">
                      {String(v)}
                      {v !== null && typeof v !== "object"
                        ? filterButtons(FILTERABLE.has(k) ? `attributes.${k}` : k, String(v))
                        : null}
                    </dd>
                  </>
                )}
              </For>
            </dl>
            <div class="toolbar">
              <Show
                when={props.context}
                fallback={
                  <button type="button" class="primary" onClick={() => props.onContext(10)}>
                    Show surrounding lines
                  </button>
                }
              >
                <button type="button" onClick={() => props.onContext(null)}>
                  Hide surrounding lines
                </button>
                <label class="inline">
                  Lines each side
                  <select
                    value={props.context ?? 10}
                    onChange={(e) => props.onContext(Number(e.currentTarget.value))}
                  >
                    <For each={CONTEXT_SIZES}>{(n) => <option value={n}>{n}</option>}</For>
                  </select>
                </label>
              </Show>
              <Show when={l().correlation_id}>
                {(c) => <a href={`/trace/${encodeURIComponent(c())}`}>Trace {c().slice(0, 16)}</a>}
              </Show>
              <a href={href("/explore", { service: l().service, range: "1h" })}>All of {l().service}</a>
              <button type="button" onClick={() => void copy("Link", lineLink(l()))}>
                Copy link to this line
              </button>
              <button type="button" onClick={() => void copy("JSON", JSON.stringify(l(), null, 2))}>
                Copy JSON
              </button>
            </div>
            <Note text={copied()} tone="quiet" />
            <details>
              <summary>JSON</summary>
              <pre class="mono json" data-testid="log-json">
                {JSON.stringify(l(), null, 2)}
              </pre>
            </details>
            <Show when={props.context}>
              <section aria-labelledby="ctx-title">
                <h3 id="ctx-title">Surrounding lines from {l().service}</h3>
                <Show when={ctx.error}>
                  <ErrorState error={ctx.error} />
                </Show>
                <Show when={ctx.loading}>
                  <Loading what="surrounding lines" />
                </Show>
                <Show when={ctx()}>
                  {(c) => (
                    <div class="table-wrap">
                      <table data-testid="context-lines">
                        <caption class="sr-only">
                          {c().before.length} lines before and {c().after.length} after, oldest first; the
                          selected line is marked
                        </caption>
                        <tbody>
                          <Show when={c().before.length === 0}>
                            <tr>
                              <td colspan="3" class="muted">
                                No earlier lines from this service.
                              </td>
                            </tr>
                          </Show>
                          <For each={[...c().before, c().log, ...c().after]}>
                            {(line) => (
                              <tr
                                classList={{ hit: line.id === c().log.id, clickable: line.id !== c().log.id }}
                                aria-current={line.id === c().log.id ? "true" : undefined}
                                tabindex={line.id !== c().log.id ? "0" : undefined}
                                aria-label={
                                  line.id !== c().log.id
                                    ? `${line.level} at ${formatTime(line.timestamp)}: open this line`
                                    : undefined
                                }
                                onClick={() => line.id !== c().log.id && props.onOpenLog?.(line.id)}
                                onKeyDown={(e) => {
                                  if ((e.key === "Enter" || e.key === " ") && line.id !== c().log.id) {
                                    e.preventDefault();
                                    props.onOpenLog?.(line.id);
                                  }
                                }}
                              >
                                <td class="time">{formatTime(line.timestamp)}</td>
                                <td>
                                  <LevelBadge level={line.level} />
                                </td>
                                <td class="msg">{line.message}</td>
                              </tr>
                            )}
                          </For>
                          <Show when={c().after.length === 0}>
                            <tr>
                              <td colspan="3" class="muted">
                                No later lines from this service yet.
                              </td>
                            </tr>
                          </Show>
                        </tbody>
                      </table>
                    </div>
                  )}
                </Show>
              </section>
            </Show>
          </>
        )}
      </Show>
    </aside>
  );
}
