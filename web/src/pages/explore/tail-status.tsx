import { Match, Switch } from "solid-js";
import type { TailState } from "../../data/tail.ts";

/** Where the live tail stands: live, (re)connecting, waiting to retry, or stopped with the API's reason. */
export function TailStatus(props: { state: TailState | null }) {
  return (
    <span class="muted" role="status" data-testid="tail-status">
      <Switch fallback="Live tail: connecting…">
        <Match when={props.state?.status === "live"}>
          <span class="live-dot" aria-hidden="true" /> Live: new lines on top as they arrive
        </Match>
        <Match when={props.state?.status === "waiting" && props.state}>
          {(s) => <>Live tail: reconnecting in {Math.ceil(s().retryInMs / 1000)} s</>}
        </Match>
        <Match when={props.state?.status === "stopped" && props.state}>
          {(s) => <span class="level-error">Live tail stopped: {s().error.message}</span>}
        </Match>
      </Switch>
    </span>
  );
}
