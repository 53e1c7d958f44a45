import { For } from "solid-js";

/** Include (`exclude` false) or exclude a field's value in the query, as a term added to its text. */
export type OnFilter = (name: string, value: string, exclude: boolean) => void;

const ACTIONS = [
  { exclude: false, sign: "+", verb: "Filter for", title: "Only lines with this value" },
  { exclude: true, sign: "−", verb: "Filter out", title: "Lines without this value" },
] as const;

/** + and − beside a field's value (the details drawer, the field sidebar): only lines with it, or without. */
export function FilterButtons(props: { name: string; value: string; onFilter: OnFilter }) {
  return (
    <For each={ACTIONS}>
      {(a) => (
        <button
          type="button"
          class="mini"
          aria-label={`${a.verb} ${props.name}: ${props.value}`}
          title={a.title}
          onClick={() => props.onFilter(props.name, props.value, a.exclude)}
        >
          {a.sign}
        </button>
      )}
    </For>
  );
}
