import { onCleanup, onMount } from "solid-js";

/**
 * Calls `run` when `key` is pressed anywhere on the page while the calling component is mounted, except
 * in a text field (where the key is typed) or with Ctrl, Meta or Alt (the browser's own shortcuts).
 */
export function useShortcut(key: string, run: () => void) {
  onMount(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (e.key !== key || e.ctrlKey || e.metaKey || e.altKey) return;
      if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
      e.preventDefault();
      run();
    };
    document.addEventListener("keydown", onKey);
    onCleanup(() => document.removeEventListener("keydown", onKey));
  });
}
