import { createSignal, For, onCleanup, onMount, Show } from "solid-js";
import { ApiError } from "../../data/api.ts";
import { useShortcut } from "../../ui/shortcut.ts";

const HISTORY_KEY = "logflow.queryHistory";
const HISTORY_MAX = 20;

/** Recent queries, newest first (this browser's). */
export function queryHistory(): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(HISTORY_KEY) ?? "[]");
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string").slice(0, HISTORY_MAX) : [];
  } catch {
    return [];
  }
}

/** Remember a query ran (moved to the front when it was there already). */
export function rememberQuery(q: string): string[] {
  const text = q.trim();
  if (!text) return queryHistory();
  const next = [text, ...queryHistory().filter((x) => x !== text)].slice(0, HISTORY_MAX);
  try {
    localStorage.setItem(HISTORY_KEY, JSON.stringify(next));
  } catch {
    // Storage refused: history lasts for this page only.
  }
  return next;
}

/** Where the API said a query stops parsing: the position (0-based) and what was expected there. */
export interface QueryProblem {
  position: number;
  expected: string;
  message: string;
}

/** The query problem in an API error (a 400 naming `query` with a position), if it is one. */
export function queryProblem(err: unknown): QueryProblem | null {
  if (!(err instanceof ApiError) || err.status !== 400) return null;
  for (const e of err.fieldErrors as {
    field: string;
    message: string;
    position?: unknown;
    expected?: unknown;
  }[]) {
    if (e.field === "query" && typeof e.position === "number")
      return {
        position: e.position,
        expected: typeof e.expected === "string" ? e.expected : "",
        message: e.message,
      };
  }
  return null;
}

/** The query language at a glance (core/query/GRAMMAR.md has it all). */
const EXAMPLES: [string, string][] = [
  ["checkout timeout", "both words, in the service name or the message"],
  ['"connection reset" -healthcheck', "a phrase, and not the word healthcheck"],
  ["timeout or refused", "either word"],
  ["time*", "words starting with time"],
  ["service:checkout level:error", "one service's errors (levels: debug, info, warn, error, critical)"],
  ["http.status:502", "an attribute equal to 502"],
  ["route:/api/v1/*", "an attribute starting with /api/v1/"],
  ["latency_ms:>250", "a number above 250 (also >=, <, <=)"],
  ["latency_ms:[100 TO 500]", "a number from 100 to 500"],
  ["user_id:*", "events that have a user_id"],
  ["service:(checkout OR payment) -host:web-3", "alternatives for one field; not on host web-3"],
  ['message:"card declined"', "the phrase in the message only"],
  ["(timeout OR refused) AND NOT level:debug", "groups; NOT and AND in capitals"],
];

/**
 * Explore's search box: the query language with its errors shown where they are (from the API's 400,
 * which names the position), a `?` sheet of the syntax (also the `?` key outside a text field), and
 * recent queries offered as suggestions.
 */
export function QueryBox(props: {
  value: string;
  onValue: (v: string) => void;
  /** The search's error: shown here when it is the query's. */
  error?: unknown;
  /** Run the query `q` (an example picked from the help). */
  onRun: (q: string) => void;
  ref?: (el: HTMLInputElement) => void;
  history: string[];
}) {
  let input!: HTMLInputElement;
  const [help, setHelp] = createSignal(false);
  const problem = () => queryProblem(props.error);

  // "?" opens the query language's help from anywhere on the page but form fields.
  useShortcut("?", () => setHelp(true));

  const goToError = () => {
    const p = problem();
    if (!p) return;
    input.focus();
    input.setSelectionRange(p.position, Math.min(props.value.length, p.position + 1));
  };

  return (
    <div class="query-box">
      <label for="q">Search</label>
      <div class="query-input">
        <input
          id="q"
          ref={(el) => {
            input = el;
            props.ref?.(el);
          }}
          type="search"
          name="q"
          list="query-history"
          autocomplete="off"
          spellcheck={false}
          placeholder='words, "a phrase", -exclude, service:x   (/ to focus, ? for help)'
          value={props.value}
          onInput={(e) => props.onValue(e.currentTarget.value)}
          aria-invalid={problem() ? true : undefined}
          aria-describedby={problem() ? "q-error" : undefined}
        />
        <button
          type="button"
          class="help-button"
          aria-label="Query syntax help (?)"
          onClick={() => setHelp(true)}
        >
          ?
        </button>
      </div>
      <datalist id="query-history">
        <For each={props.history}>{(q) => <option value={q} />}</For>
      </datalist>
      <Show when={problem()}>
        {(p) => (
          <div class="query-error" id="q-error" role="alert" data-testid="query-error">
            <pre class="mono" aria-hidden="true">
              <span class="line">{props.value}</span>
              <span class="line">{`${" ".repeat(Math.min(p().position, props.value.length))}^`}</span>
            </pre>
            <span class="field-error">
              At character {p().position + 1}: expected {p().expected || p().message}.{" "}
              <button type="button" class="link" onClick={goToError}>
                Go to it
              </button>
            </span>
          </div>
        )}
      </Show>
      <Show when={help()}>
        <QueryHelp
          onClose={() => {
            setHelp(false);
            input.focus();
          }}
          onPick={(q) => {
            setHelp(false);
            props.onValue(q);
            props.onRun(q);
          }}
        />
      </Show>
    </div>
  );
}

function QueryHelp(props: { onClose: () => void; onPick: (q: string) => void }) {
  let close!: HTMLButtonElement;
  onMount(() => {
    close.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        e.preventDefault();
        props.onClose();
      }
    };
    document.addEventListener("keydown", onKey);
    onCleanup(() => document.removeEventListener("keydown", onKey));
  });
  return (
    <aside class="drawer help-sheet" role="dialog" aria-modal="true" aria-labelledby="help-title">
      <div class="drawer-head">
        <h2 id="help-title" style={{ margin: 0 }}>
          Query syntax
        </h2>
        <button type="button" ref={close} onClick={() => props.onClose()} aria-label="Close help (Escape)">
          Close ✕
        </button>
      </div>
      <p class="muted">
        Words are matched whole and case-insensitively; terms side by side must all match. Field values are
        exact. Pick an example to run it.
      </p>
      <dl class="examples">
        <For each={EXAMPLES}>
          {([q, what]) => (
            <>
              <dt>
                <button type="button" class="link mono" onClick={() => props.onPick(q)}>
                  {q}
                </button>
              </dt>
              <dd>{what}</dd>
            </>
          )}
        </For>
      </dl>
    </aside>
  );
}
