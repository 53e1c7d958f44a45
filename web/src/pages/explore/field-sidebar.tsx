import { createResource, For, Show } from "solid-js";
import { fieldsOf, type Window } from "../../data/stats.ts";
import { FilterButtons, type OnFilter } from "../../ui/filter-buttons.tsx";
import { formatNumber } from "../../ui/format.ts";

/**
 * The fields present in the current query's matches (service, level, host, every attribute) with their
 * top values and counts; + and − beside a value include or exclude it, as a term added to the query text.
 */
export function FieldSidebar(props: { query: string; window: Window | null; onFilter: OnFilter }) {
  const [fields] = createResource(
    () => (props.window ? { q: props.query, w: props.window } : null),
    (k) => fieldsOf(k.q, k.w, 5),
  );
  return (
    <section class="field-sidebar" aria-label="Fields">
      <h2>Fields</h2>
      <Show when={fields.error}>
        <p class="muted">Fields unavailable.</p>
      </Show>
      <Show when={!fields.error && fields.latest}>
        {(f) => (
          <>
            <p class="muted">
              <Show
                when={f().sampled}
                fallback={`From the ${formatNumber(f().sample_size)} matching ${f().sample_size === 1 ? "line" : "lines"}.`}
              >
                From the newest {formatNumber(f().sample_size)} of {formatNumber(f().total)} matching lines.
              </Show>
            </p>
            <Show when={f().fields.length > 0} fallback={<p class="muted">No matching lines.</p>}>
              <ul class="fields">
                <For each={f().fields}>
                  {(field) => (
                    <li>
                      <details
                        open={field.kind === "column" && (field.name === "level" || field.name === "service")}
                      >
                        <summary>
                          <span class="mono">{field.name}</span>{" "}
                          <span class="muted">
                            {formatNumber(field.distinct)} {field.distinct === 1 ? "value" : "values"}
                          </span>
                        </summary>
                        <ul class="values">
                          <For each={field.top}>
                            {(v) => (
                              <li>
                                <span class="value mono" title={v.value}>
                                  {v.value}
                                </span>
                                <span class="count muted">
                                  {formatNumber(v.count)}
                                  <span
                                    class="bar"
                                    style={{
                                      width: `${Math.round((v.count / Math.max(1, f().sample_size)) * 100)}%`,
                                    }}
                                  />
                                </span>
                                <FilterButtons name={field.name} value={v.value} onFilter={props.onFilter} />
                              </li>
                            )}
                          </For>
                        </ul>
                      </details>
                    </li>
                  )}
                </For>
              </ul>
            </Show>
          </>
        )}
      </Show>
    </section>
  );
}
