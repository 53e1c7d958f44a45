import { createEffect, createResource, createSignal, For, Show } from "solid-js";
import { LEVELS, type LogQuery, logQueryParams, RANGES, type Range } from "../../data/logs.ts";
import { overview } from "../../data/metrics.ts";
import { setQuery } from "../../router.ts";
import { fromLocalInput, toLocalInput } from "../../ui/format.ts";

const RANGE_LABELS: Record<Range, string> = {
  "15m": "Last 15 minutes",
  "1h": "Last hour",
  "6h": "Last 6 hours",
  "24h": "Last 24 hours",
  "7d": "Last 7 days",
  custom: "Custom…",
};

/** Explore's filters. The URL is the state: every change is a new history entry (Back undoes it). */
export function Filters(props: { query: LogQuery; searchRef?: (el: HTMLInputElement) => void }) {
  const [text, setText] = createSignal(props.query.q);
  const [services, setServices] = createSignal(props.query.services.join(", "));
  createEffect(() => setText(props.query.q));
  createEffect(() => setServices(props.query.services.join(", ")));
  // Suggestions for the service box: whoever logged in the last day.
  const [known] = createResource(() =>
    overview(1440)
      .then((o) => o.services.map((s) => s.name))
      .catch(() => []),
  );

  const apply = (patch: Partial<LogQuery>) =>
    setQuery({ ...logQueryParams({ ...props.query, ...patch }), log: undefined, ctx: undefined });

  const parseServices = (v: string) =>
    v
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);

  return (
    <form
      class="row"
      aria-label="Filter logs"
      onSubmit={(e) => {
        e.preventDefault();
        apply({ q: text().trim(), services: parseServices(services()) });
      }}
    >
      <label style={{ flex: "2 1 16rem" }}>
        Search
        <input
          ref={props.searchRef}
          type="search"
          name="q"
          placeholder='words, "a phrase", -exclude   (press / to focus)'
          value={text()}
          onInput={(e) => setText(e.currentTarget.value)}
        />
      </label>
      <label style={{ flex: "1 1 10rem" }}>
        Services
        <input
          name="service"
          list="known-services"
          placeholder="all (comma-separated)"
          value={services()}
          onInput={(e) => setServices(e.currentTarget.value)}
          onChange={(e) => apply({ services: parseServices(e.currentTarget.value) })}
        />
        <datalist id="known-services">
          <For each={known() ?? []}>{(s) => <option value={s} />}</For>
        </datalist>
      </label>
      <label>
        Time range
        <select
          name="range"
          value={props.query.range}
          onChange={(e) => {
            const range = e.currentTarget.value as Range;
            const now = Date.now();
            apply(
              range === "custom"
                ? {
                    range,
                    from: props.query.from ?? new Date(now - 3_600_000).toISOString(),
                    to: props.query.to ?? new Date(now).toISOString(),
                  }
                : { range },
            );
          }}
        >
          <For each={RANGES}>{(r) => <option value={r}>{RANGE_LABELS[r]}</option>}</For>
        </select>
      </label>
      <Show when={props.query.range === "custom"}>
        <label>
          From
          <input
            type="datetime-local"
            value={toLocalInput(props.query.from)}
            onChange={(e) => apply({ from: fromLocalInput(e.currentTarget.value) })}
          />
        </label>
        <label>
          To
          <input
            type="datetime-local"
            value={toLocalInput(props.query.to)}
            onChange={(e) => apply({ to: fromLocalInput(e.currentTarget.value) })}
          />
        </label>
      </Show>
      <fieldset>
        <legend>Levels</legend>
        <For each={LEVELS}>
          {(l) => (
            <label class="inline">
              <input
                type="checkbox"
                name="level"
                value={l}
                checked={props.query.levels.includes(l)}
                onChange={(e) =>
                  apply({
                    levels: e.currentTarget.checked
                      ? LEVELS.filter((x) => x === l || props.query.levels.includes(x))
                      : props.query.levels.filter((x) => x !== l),
                  })
                }
              />
              <span class={`level level-${l.toLowerCase()}`}>{l}</span>
            </label>
          )}
        </For>
      </fieldset>
      <button type="submit" class="primary">
        Search
      </button>
    </form>
  );
}
