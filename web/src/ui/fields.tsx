import { For, type JSX, Show } from "solid-js";

/**
 * What the API said about a field (its 422 names the field), shown under the control and tied to it for
 * screen readers. A form that validates passes `error` (empty when the field is fine); the message's id
 * is `err-<name>`.
 */
interface Validated {
  name?: string;
  error?: string;
}

const errorId = (p: Validated) => `err-${p.name ?? "field"}`;

/** Whether the control is invalid, for screen readers: unsaid when its form does not validate. */
const invalid = (p: Validated) => (p.error === undefined ? undefined : p.error !== "");
const describedBy = (p: Validated) => (p.error ? errorId(p) : undefined);

function FieldError(props: Validated) {
  return (
    <Show when={props.error}>
      <span class="field-error" id={errorId(props)}>
        {props.error}
      </span>
    </Show>
  );
}

/** A labelled text box; `onValue` gets the text at each keystroke, `onChange` when it is committed. */
export function TextField(
  props: Validated & {
    label: JSX.Element;
    value: string;
    onValue?: (value: string) => void;
    onChange?: (value: string) => void;
    type?: "text" | "search" | "password" | "url" | "datetime-local";
    placeholder?: string;
    inputmode?: "decimal" | "numeric";
    autocomplete?: string;
    required?: boolean;
    /** The id of a datalist of suggestions (given as `children`). */
    list?: string;
    ref?: (el: HTMLInputElement) => void;
    style?: JSX.CSSProperties;
    children?: JSX.Element;
  },
) {
  return (
    <label style={props.style}>
      {props.label}
      <input
        ref={(el) => props.ref?.(el)}
        name={props.name}
        type={props.type}
        placeholder={props.placeholder}
        inputmode={props.inputmode}
        autocomplete={props.autocomplete}
        required={props.required}
        list={props.list}
        value={props.value}
        onInput={(e) => props.onValue?.(e.currentTarget.value)}
        onChange={(e) => props.onChange?.(e.currentTarget.value)}
        aria-invalid={invalid(props)}
        aria-describedby={describedBy(props)}
      />
      {props.children}
      <FieldError name={props.name} error={props.error} />
    </label>
  );
}

/** A choice of a select: its value, shown as itself or with a label. */
export type Option<T extends string | number> = T | { value: T; label: string };

const optionValue = <T extends string | number>(o: Option<T>): T => (typeof o === "object" ? o.value : o);
const optionLabel = <T extends string | number>(o: Option<T>): string =>
  typeof o === "object" ? o.label : String(o);

/** A labelled select; `onValue` gets the chosen option's value (as the DOM gives it, a string). */
export function SelectField<T extends string | number>(
  props: Validated & {
    label: JSX.Element;
    value: T;
    options: readonly Option<T>[];
    onValue: (value: string) => void;
  },
) {
  return (
    <label>
      {props.label}
      <select
        name={props.name}
        value={props.value}
        onChange={(e) => props.onValue(e.currentTarget.value)}
        aria-invalid={invalid(props)}
        aria-describedby={describedBy(props)}
      >
        <For each={props.options}>{(o) => <option value={optionValue(o)}>{optionLabel(o)}</option>}</For>
      </select>
      <FieldError name={props.name} error={props.error} />
    </label>
  );
}

/** A checkbox with its label beside it. */
export function Checkbox(props: {
  checked: boolean;
  onChecked: (checked: boolean) => void;
  children: JSX.Element;
}) {
  return (
    <label class="inline">
      <input
        type="checkbox"
        checked={props.checked}
        onChange={(e) => props.onChecked(e.currentTarget.checked)}
      />
      {props.children}
    </label>
  );
}

/**
 * Checkboxes choosing any of `options`. `onSelect` gets the new choice in the options' order, whatever
 * order they were ticked in; each box carries `name` and its option as value.
 */
export function CheckboxGroup<T extends string>(
  props: Validated & {
    legend: JSX.Element;
    options: readonly T[];
    selected: readonly T[];
    onSelect: (selected: T[]) => void;
    optionLabel?: (option: T) => JSX.Element;
    style?: JSX.CSSProperties;
  },
) {
  const toggle = (option: T, on: boolean) =>
    props.onSelect(props.options.filter((o) => (o === option ? on : props.selected.includes(o))));
  return (
    <fieldset style={props.style}>
      <legend>{props.legend}</legend>
      <For each={props.options}>
        {(o) => (
          <label class="inline">
            <input
              type="checkbox"
              name={props.name}
              value={o}
              checked={props.selected.includes(o)}
              onChange={(e) => toggle(o, e.currentTarget.checked)}
            />
            {props.optionLabel ? props.optionLabel(o) : o}
          </label>
        )}
      </For>
      <FieldError name={props.name} error={props.error} />
    </fieldset>
  );
}
