import { createEffect, createSignal, For, Show } from "solid-js";
import { type LogQuery, normalizeRange, RANGES, rangeMs, windowOf } from "../../data/logs.ts";
import { fromLocalInput, toLocalInput, zoneLabel } from "../../ui/format.ts";

const PRESET_LABELS: Record<string, string> = {
  "5m": "Last 5 minutes",
  "15m": "Last 15 minutes",
  "1h": "Last hour",
  "6h": "Last 6 hours",
  "24h": "Last 24 hours",
  "7d": "Last 7 days",
  "30d": "Last 30 days",
  custom: "Absolute…",
};

/** The window a query covers now, both ends absolute (ms). */
export function absoluteWindow(q: LogQuery, now = Date.now()): { from: number; to: number } {
  const w = windowOf(q, now);
  const to = w.to ?? now;
  return { from: w.from ?? to - 3_600_000, to };
}

/** The same length earlier (`-1`) or later (`1`), as an absolute range. */
export function shifted(q: LogQuery, dir: -1 | 1, now = Date.now()): Partial<LogQuery> {
  const { from, to } = absoluteWindow(q, now);
  const len = to - from;
  return {
    range: "custom",
    from: new Date(from + dir * len).toISOString(),
    to: new Date(to + dir * len).toISOString(),
  };
}

/** Twice as long: a relative range doubles, an absolute one grows by half its length each side. */
export function zoomedOut(q: LogQuery, now = Date.now()): Partial<LogQuery> {
  const ms = rangeMs(q.range);
  if (q.range !== "custom" && ms !== null) {
    const n = Number(q.range.slice(0, -1)) * 2;
    return { range: `${n}${q.range.slice(-1)}` };
  }
  const { from, to } = absoluteWindow(q, now);
  const half = (to - from) / 2;
  return {
    range: "custom",
    from: new Date(from - half).toISOString(),
    to: new Date(to + half).toISOString(),
  };
}

/**
 * Explore's time picker: presets, a typed relative range (`now-2h`, `30m`), absolute start and end to
 * the second (in the zone shown), earlier/later by the window's length, zoom out, and a link to this
 * view with the window made absolute (what was seen, not "the last hour" of whoever opens it).
 */
export function TimePicker(props: {
  query: LogQuery;
  apply: (patch: Partial<LogQuery>) => void;
  /** The URL of the current view with `patch` applied (for the link to copy). */
  linkWith: (patch: Partial<LogQuery>) => string;
}) {
  const [typed, setTyped] = createSignal("");
  const [typedError, setTypedError] = createSignal("");
  const [copied, setCopied] = createSignal<string | null>(null);
  createEffect(() => {
    setTyped(props.query.range === "custom" ? "" : `now-${props.query.range}`);
    setTypedError("");
  });
  const preset = () => ((RANGES as readonly string[]).includes(props.query.range) ? props.query.range : "");

  function applyTyped() {
    const r = normalizeRange(typed());
    if (r === null) {
      setTypedError("Type a relative range: 30m, now-2h, 3d (units s, m, h, d, w).");
      return;
    }
    setTypedError("");
    props.apply({ range: r });
  }

  async function copyLink() {
    const { from, to } = absoluteWindow(props.query);
    const url = props.linkWith({
      range: "custom",
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
    });
    try {
      await navigator.clipboard.writeText(url);
      setCopied(url);
    } catch {
      // No clipboard (an insecure origin, a refused permission): show the link to copy by hand.
      setCopied(url);
    }
  }

  return (
    <fieldset class="time-picker" aria-label="Time range">
      <legend class="sr-only">Time range</legend>
      <label>
        Range
        <select
          name="range"
          value={preset()}
          onChange={(e) => {
            const range = e.currentTarget.value;
            if (range === "custom") {
              const { from, to } = absoluteWindow(props.query);
              props.apply({ range, from: new Date(from).toISOString(), to: new Date(to).toISOString() });
            } else if (range) props.apply({ range });
          }}
        >
          <Show when={preset() === ""}>
            <option value="">Last {props.query.range}</option>
          </Show>
          <For each={RANGES}>{(r) => <option value={r}>{PRESET_LABELS[r]}</option>}</For>
        </select>
      </label>
      <Show when={props.query.range !== "custom"}>
        <label>
          Relative
          <input
            name="relative"
            value={typed()}
            size={9}
            placeholder="now-2h"
            aria-invalid={typedError() !== ""}
            aria-describedby={typedError() ? "err-relative" : undefined}
            onInput={(e) => setTyped(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter") {
                e.preventDefault();
                applyTyped();
              }
            }}
            onChange={applyTyped}
          />
          <Show when={typedError()}>
            <span class="field-error" id="err-relative">
              {typedError()}
            </span>
          </Show>
        </label>
      </Show>
      <Show when={props.query.range === "custom"}>
        <For each={["from", "to"] as const}>
          {(end) => (
            <label>
              {end === "from" ? "From" : "To"} ({zoneLabel()})
              <input
                type="datetime-local"
                name={end}
                step="1"
                value={toLocalInput(props.query[end])}
                onChange={(e) => props.apply({ [end]: fromLocalInput(e.currentTarget.value) })}
              />
            </label>
          )}
        </For>
      </Show>
      <fieldset class="time-steps">
        <legend class="sr-only">Move the time range</legend>
        <button
          type="button"
          onClick={() => props.apply(shifted(props.query, -1))}
          title="The same length earlier"
        >
          ◀ Earlier
        </button>
        <button type="button" onClick={() => props.apply(zoomedOut(props.query))} title="Twice as long">
          Zoom out
        </button>
        <button
          type="button"
          onClick={() => props.apply(shifted(props.query, 1))}
          title="The same length later"
        >
          Later ▶
        </button>
        <button
          type="button"
          onClick={() => void copyLink()}
          title="A link to this view, its times made absolute"
        >
          Copy link
        </button>
      </fieldset>
      <Show when={copied()}>
        {(url) => (
          <p class="muted copied" role="status">
            Link to this view (absolute times) copied:{" "}
            <input
              readonly
              value={url()}
              aria-label="Link to this view"
              onFocus={(e) => e.currentTarget.select()}
            />
          </p>
        )}
      </Show>
    </fieldset>
  );
}
