import { createResource, createSignal, onCleanup, Show } from "solid-js";
import { api } from "../data/api.ts";
import { location } from "../router.ts";

const REFRESH_MS = 30_000;

/**
 * How many alerts are open (triggered, not yet acknowledged or resolved), beside Alerts in the
 * navigation; read every 30 s while the page is visible, and on every page change.
 */
export function OpenAlertsBadge() {
  const [tick, setTick] = createSignal(0);
  const timer = setInterval(() => {
    if (document.visibilityState !== "hidden") setTick((t) => t + 1);
  }, REFRESH_MS);
  onCleanup(() => clearInterval(timer));
  const [open] = createResource(
    () => ({ t: tick(), path: location().path, search: location().search }),
    () =>
      api<{ total: number }>("/api/v1/alerts/triggered?status=triggered&limit=1")
        .then((r) => r.total)
        .catch(() => 0),
  );
  return (
    <Show when={(open.latest ?? 0) > 0}>
      <span class="badge" data-testid="open-alerts">
        {open.latest}
        <span class="sr-only"> open</span>
      </span>
    </Show>
  );
}
