import { type Accessor, type JSX, type Resource, Show } from "solid-js";
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
