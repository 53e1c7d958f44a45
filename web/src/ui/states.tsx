import { type JSX, Show } from "solid-js";
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
