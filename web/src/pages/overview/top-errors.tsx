import { For, Show } from "solid-js";
import type { Overview } from "../../data/metrics.ts";
import { patternFilter } from "../../data/patterns.ts";
import { href } from "../../router.ts";
import { formatNumber } from "../../ui/format.ts";
import { PatternTemplate } from "../../ui/pattern-template.tsx";

/**
 * The overview's top errors, grouped by pattern: each template once with its count, linking to its lines
 * in Explore (`pattern:<id>`); errors from before patterns link by their message.
 */
export function TopErrors(props: { errors: Overview["top_errors"]; range: string }) {
  return (
    <Show
      when={props.errors.length > 0}
      fallback={<p class="muted">No ERROR or CRITICAL logs in this window.</p>}
    >
      <ol>
        <For each={props.errors}>
          {(e) => (
            <li>
              <a
                href={href("/explore", {
                  q: e.pattern
                    ? patternFilter(e.pattern)
                    : `"${e.message.slice(0, 200).replaceAll('"', " ")}"`,
                  level: "ERROR,CRITICAL",
                  range: props.range,
                })}
              >
                <Show when={e.pattern} fallback={<span class="mono">{e.message}</span>}>
                  <PatternTemplate template={e.message} />
                </Show>
              </a>{" "}
              <span class="muted">×{formatNumber(e.count)}</span>
            </li>
          )}
        </For>
      </ol>
    </Show>
  );
}
