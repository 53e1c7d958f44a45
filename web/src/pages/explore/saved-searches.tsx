import { createResource, createSignal, For, Show } from "solid-js";
import { session } from "../../data/auth.ts";
import { type LogQuery, logQueryParams } from "../../data/logs.ts";
import {
  deleteSavedSearch,
  listSavedSearches,
  type SavedSearch,
  savedAsQuery,
  saveSearch,
} from "../../data/saved-searches.ts";
import { setQuery } from "../../router.ts";
import { Note } from "../../ui/states.tsx";

/**
 * Explore's saved searches: "Save" stores the current query, services, levels and range under a name
 * (mine, or shared with everyone); the "Saved searches" menu opens one, putting its filters in the URL.
 */
export function SavedSearches(props: { query: LogQuery }) {
  let menu: HTMLDetailsElement | undefined;
  const [list, { refetch }] = createResource(() => listSavedSearches().catch(() => []));
  const [saving, setSaving] = createSignal(false);
  const [name, setName] = createSignal("");
  const [shared, setShared] = createSignal(false);
  const [status, setStatus] = createSignal<string | null>(null);
  const [error, setError] = createSignal<string | null>(null);

  async function remove(s: SavedSearch) {
    setError(null);
    try {
      await deleteSavedSearch(s.id);
      setStatus(`Deleted "${s.name}".`);
      void refetch();
    } catch (err) {
      setError((err as Error).message);
    }
  }

  async function save(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      const saved = await saveSearch(name().trim(), props.query, shared());
      setStatus(`Saved as "${saved.name}".`);
      setSaving(false);
      setName("");
      void refetch();
    } catch (err) {
      setError((err as Error).message);
    }
  }

  return (
    <div class="saved-searches row">
      <details ref={menu}>
        <summary>Saved searches</summary>
        <ul aria-label="Saved searches">
          <Show when={!list.loading} fallback={<li class="muted">Loading…</li>}>
            <For each={list() ?? []} fallback={<li class="muted">None yet.</li>}>
              {(s) => (
                <li>
                  <button
                    type="button"
                    class="link"
                    onClick={() => {
                      setQuery({
                        ...logQueryParams(savedAsQuery(s)),
                        log: undefined,
                        ctx: undefined,
                        tail: undefined,
                      });
                      if (menu) menu.open = false;
                    }}
                  >
                    {s.name}
                  </button>
                  <Show when={s.owner !== session()?.username}>
                    <span class="muted"> ({s.owner})</span>
                  </Show>
                  <Show when={s.owner === session()?.username || session()?.isAdmin}>
                    <button
                      type="button"
                      class="link"
                      aria-label={`Delete saved search ${s.name}`}
                      onClick={() => void remove(s)}
                    >
                      ×
                    </button>
                  </Show>
                </li>
              )}
            </For>
          </Show>
        </ul>
      </details>
      <Show when={session()}>
        <Show
          when={saving()}
          fallback={
            <button
              type="button"
              onClick={() => {
                setStatus(null);
                setSaving(true);
              }}
            >
              Save
            </button>
          }
        >
          <form class="row" aria-label="Save this search" onSubmit={(e) => void save(e)}>
            <label>
              Name{" "}
              <input
                name="saved-name"
                required
                maxLength={200}
                value={name()}
                onInput={(e) => setName(e.currentTarget.value)}
              />
            </label>
            <label>
              <input
                type="checkbox"
                name="saved-shared"
                checked={shared()}
                onChange={(e) => setShared(e.currentTarget.checked)}
              />{" "}
              Share with everyone
            </label>
            <button type="submit" class="primary">
              Save search
            </button>
            <button
              type="button"
              onClick={() => {
                setSaving(false);
                setError(null);
              }}
            >
              Cancel
            </button>
          </form>
        </Show>
      </Show>
      <Note text={error()} tone="error" inline />
      <Note text={status()} tone="quiet" inline />
    </div>
  );
}
