import { createEffect, createResource, createSignal, For } from "solid-js";
import { LEVELS, type LogQuery, logQueryParams } from "../../data/logs.ts";
import { overview } from "../../data/metrics.ts";
import { href, setQuery } from "../../router.ts";
import { CheckboxGroup, TextField } from "../../ui/fields.tsx";
import { LevelBadge } from "../../ui/level.tsx";
import { QueryBox, queryHistory, rememberQuery } from "./query-box.tsx";
import { TimePicker } from "./time-picker.tsx";

/** Explore's filters. The URL is the state: every change is a new history entry (Back undoes it). */
export function Filters(props: {
  query: LogQuery;
  searchRef?: (el: HTMLInputElement) => void;
  /** The search's error: a query that does not parse is shown at its position in the box. */
  error?: unknown;
}) {
  const [history, setHistory] = createSignal(queryHistory());
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
        setHistory(rememberQuery(text()));
        apply({ q: text().trim(), services: parseServices(services()) });
      }}
    >
      <QueryBox
        value={text()}
        onValue={setText}
        error={props.error}
        history={history()}
        ref={props.searchRef}
        onRun={(q) => {
          setHistory(rememberQuery(q));
          apply({ q: q.trim(), services: parseServices(services()) });
        }}
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
      <TimePicker
        query={props.query}
        apply={apply}
        linkWith={(patch) =>
          `${window.location.origin}${href("/explore", { ...logQueryParams({ ...props.query, ...patch }) })}`
        }
      />
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
