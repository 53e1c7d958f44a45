import { createResource, For, Show } from "solid-js";
import type { Level } from "../../data/logs.ts";
import { filtersAsQuery } from "../../data/logs.ts";
import { windowCounts } from "../../data/stats.ts";
import { formatNumber, formatTime } from "../../ui/format.ts";

const WINDOWS = 6;

/**
 * What a count rule would have counted over its last six windows, and in how many it would have
 * fired: a rule made from a search is checked against what already happened before it is saved.
 */
export function RulePreview(props: {
  query: string;
  services: string[];
  levels: Level[];
  windowMinutes: number;
  threshold: number;
  condition: string;
}) {
  const [counts] = createResource(
    () =>
      Number.isInteger(props.windowMinutes) && props.windowMinutes >= 1 && props.windowMinutes <= 1440
        ? {
            q: filtersAsQuery({
              q: props.query,
              services: props.services,
              levels: props.levels,
              range: "1h",
            }),
            w: props.windowMinutes,
          }
        : null,
    (k) => windowCounts(k.q, k.w, WINDOWS),
  );
  const fires = (n: number) => {
    switch (props.condition) {
      case "less_than":
        return n < props.threshold;
      case "equals":
        return n === props.threshold;
      default:
        return n > props.threshold;
    }
  };
  const ok = () => (counts.error ? undefined : counts.latest?.slice(-WINDOWS));
  return (
    <section class="notice" aria-label="What this rule would have counted" data-testid="rule-preview">
      <Show when={ok()} fallback={<span class="muted">{counts.error ? "No preview." : "Counting…"}</span>}>
        {(c) => (
          <>
            <p style={{ margin: "0 0 0.3rem" }}>
              Over the last {WINDOWS} {props.windowMinutes}-minute periods (clock-aligned; the last still
              filling), it would have fired in <strong>{c().filter((w) => fires(w.count)).length}</strong>:
            </p>
            <ol class="preview-windows">
              <For each={c()}>
                {(w) => (
                  <li classList={{ "level-error": fires(w.count) }}>
                    {formatTime(w.start)}: {formatNumber(w.count)}
                  </li>
                )}
              </For>
            </ol>
          </>
        )}
      </Show>
    </section>
  );
}
