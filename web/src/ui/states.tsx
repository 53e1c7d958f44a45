import { type Accessor, type JSX, type Resource, Show } from "solid-js";
import { Dynamic } from "solid-js/web";
import { describeError } from "../data/api.ts";

export function Loading(props: { what?: string }) {
  return (
    <p class="state" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" /> Loading {props.what ?? ""}…
    </p>
  );
}

/** What went wrong and what to do about it, with a retry when one can help. */
export function ErrorState(props: { error: unknown; retry?: () => void }) {
  return (
    <div class="state state-error" role="alert">
      <p>{describeError(props.error)}</p>
      <Show when={props.retry}>
        <button type="button" onClick={() => props.retry?.()}>
          Retry
        </button>
      </Show>
    </div>
  );
}

export function Empty(props: { title: string; children?: JSX.Element }) {
  return (
    <div class="state state-empty">
      <p>
        <strong>{props.title}</strong>
      </p>
      {props.children}
    </div>
  );
}

/**
 * A resource's value once it has one (kept while it refetches), its error with a retry when it fails,
 * and until then a loading line naming `what` (none without it).
 */
export function Loaded<T>(props: {
  of: Resource<T>;
  what?: string;
  retry?: () => void;
  children: (value: Accessor<NonNullable<T>>) => JSX.Element;
}) {
  return (
    <>
      <Show when={props.of.error}>
        <ErrorState error={props.of.error} retry={props.retry} />
      </Show>
      <Show
        when={props.of.latest}
        fallback={
          <Show when={props.what !== undefined && !props.of.error}>
            <Loading what={props.what} />
          </Show>
        }
      >
        {props.children}
      </Show>
    </>
  );
}

const NOTE_TONES = {
  error: { class: "field-error", role: "alert" },
  notice: { class: "notice", role: "status" },
  quiet: { class: "muted", role: "status" },
} as const;

/**
 * How something the user just did went, shown while there is something to say: an `error` is announced
 * at once (role alert), a `notice` or a `quiet` line politely (role status). `inline` makes it a span,
 * for a note inside a row of controls.
 */
export function Note(props: {
  text: string | null | undefined;
  tone: keyof typeof NOTE_TONES;
  inline?: boolean;
  testId?: string;
}) {
  return (
    <Show when={props.text}>
      {(text) => (
        <Dynamic
          component={props.inline ? "span" : "p"}
          class={NOTE_TONES[props.tone].class}
          role={NOTE_TONES[props.tone].role}
          data-testid={props.testId}
        >
          {text()}
        </Dynamic>
      )}
    </Show>
  );
}

/**
 * A secret the API hands out once (an API key, a webhook signing secret): shown with what it is for
 * until the user says they have kept it (`done` names that button; `onDone` clears the secret).
 */
export function ShownOnce(props: {
  secret: string | null;
  done: string;
  onDone: () => void;
  children: JSX.Element;
}) {
  return (
    <Show when={props.secret}>
      {(secret) => (
        <div class="notice" role="status">
          {props.children}
          <p>
            <code>{secret()}</code>
          </p>
          <button type="button" onClick={() => props.onDone()}>
            {props.done}
          </button>
        </div>
      )}
    </Show>
  );
}
