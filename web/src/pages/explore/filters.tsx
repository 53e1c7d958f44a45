import { createEffect, createResource, createSignal, For, Show } from "solid-js";
import { LEVELS, type LogQuery, logQueryParams, RANGES, type Range } from "../../data/logs.ts";
import { overview } from "../../data/metrics.ts";
import { setQuery } from "../../router.ts";
import { CheckboxGroup, SelectField, TextField } from "../../ui/fields.tsx";
import { fromLocalInput, toLocalInput } from "../../ui/format.ts";
import { LevelBadge } from "../../ui/level.tsx";

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
      <TextField
        label="Search"
        ref={props.searchRef}
        type="search"
        name="q"
        placeholder='words, "a phrase", -exclude   (press / to focus)'
        value={text()}
        onValue={setText}
        style={{ flex: "2 1 16rem" }}
      />
      <TextField
        label="Services"
        name="service"
        list="known-services"
        placeholder="all (comma-separated)"
        value={services()}
        onValue={setServices}
        onChange={(v) => apply({ services: parseServices(v) })}
        style={{ flex: "1 1 10rem" }}
      >
        <datalist id="known-services">
          <For each={known() ?? []}>{(s) => <option value={s} />}</For>
        </datalist>
      </TextField>
      <SelectField
        label="Time range"
        name="range"
        value={props.query.range}
        options={RANGES.map((r) => ({ value: r, label: RANGE_LABELS[r] }))}
        onValue={(value) => {
          const range = value as Range;
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
      />
      <Show when={props.query.range === "custom"}>
        <TextField
          label="From"
          type="datetime-local"
          value={toLocalInput(props.query.from)}
          onChange={(v) => apply({ from: fromLocalInput(v) })}
        />
        <TextField
          label="To"
          type="datetime-local"
          value={toLocalInput(props.query.to)}
          onChange={(v) => apply({ to: fromLocalInput(v) })}
        />
      </Show>
      <CheckboxGroup
        legend="Levels"
        name="level"
        options={LEVELS}
        selected={props.query.levels}
        onSelect={(levels) => apply({ levels })}
        optionLabel={(l) => <LevelBadge level={l} />}
      />
      <button type="submit" class="primary">
        Search
      </button>
    </form>
  );
}
