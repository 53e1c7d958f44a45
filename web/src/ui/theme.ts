import { createSignal } from "solid-js";

export type Theme = "system" | "light" | "dark";
const KEY = "logflow.theme";

function stored(): Theme {
  try {
    const t = localStorage.getItem(KEY);
    return t === "light" || t === "dark" ? t : "system";
  } catch {
    return "system";
  }
}

const [theme, set] = createSignal<Theme>(stored());

export { theme };

export function applyTheme(t: Theme = theme()) {
  if (t === "system") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = t;
}

/** system → dark → light → system. */
export function cycleTheme() {
  const next: Theme = theme() === "system" ? "dark" : theme() === "dark" ? "light" : "system";
  try {
    if (next === "system") localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, next);
  } catch {}
  set(next);
  applyTheme(next);
}
