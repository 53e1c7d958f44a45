import { For } from "solid-js";
import { templateParts } from "../data/patterns.ts";

/** A pattern's template with its variables marked (`<*>` where the lines differ). */
export function PatternTemplate(props: { template: string }) {
  return (
    <span class="mono pattern-template">
      <For each={templateParts(props.template)}>
        {(part) =>
          part.variable ? (
            <mark class="pattern-var" title="varies from line to line">
              {part.text}
            </mark>
          ) : (
            part.text
          )
        }
      </For>
    </span>
  );
}
