import { createSignal } from "solid-js";

/**
 * A router small enough for the entry chunk: the location as a signal, pushState navigation and
 * query-string helpers. Every page keeps its state (filters, range, selection) in the URL, so links
 * can be shared and Back undoes the last change.
 */
export interface Loc {
  path: string;
  search: string;
}

function read(): Loc {
  return { path: window.location.pathname, search: window.location.search };
}

const [loc, setLoc] = createSignal<Loc>(read(), {
  equals: (a, b) => a.path === b.path && a.search === b.search,
});

let listening = false;
function listen() {
  if (listening) return;
  listening = true;
  window.addEventListener("popstate", () => setLoc(read()));
  // In-app links are plain <a href> (open-in-new-tab, copy link and middle click keep working); a
  // plain left click on one navigates without reloading the page.
  document.addEventListener("click", onLinkClick);
}
listen();

export const location = loc;

/** The current query string as a plain record (the last value of a repeated key wins). */
export function query(): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(loc().search));
}

/** Go to a path (with its query); `replace` for corrections that should not add a Back step. */
export function navigate(to: string, opts: { replace?: boolean } = {}) {
  const url = new URL(to, window.location.href);
  const next = `${url.pathname}${url.search}`;
  if (next === `${window.location.pathname}${window.location.search}`) return;
  if (opts.replace) window.history.replaceState(null, "", next);
  else window.history.pushState(null, "", next);
  setLoc(read());
}

/** Change some query parameters of the current page; empty values are dropped from the URL. */
export function setQuery(patch: Record<string, string | undefined | null>, opts: { replace?: boolean } = {}) {
  const params = new URLSearchParams(loc().search);
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined || v === null || v === "") params.delete(k);
    else params.set(k, v);
  }
  const s = params.toString();
  navigate(`${loc().path}${s ? `?${s}` : ""}`, opts);
}

/** A path with a query built from a record, skipping empty values. */
export function href(path: string, params: Record<string, string | number | undefined | null> = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== "") p.set(k, String(v));
  const s = p.toString();
  return s ? `${path}?${s}` : path;
}

/**
 * Where to go after logging in: only a path on this site (never `//host` or a full URL), so a crafted
 * login link cannot send the user elsewhere.
 */
export function safeNext(next: string | undefined): string {
  if (!next?.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  if (next.startsWith("/login")) return "/";
  return next;
}

/** Plain left clicks on same-origin links navigate in-app; others behave as links always do. */
function onLinkClick(e: MouseEvent) {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.target as Element | null)?.closest?.("a[href]") as HTMLAnchorElement | null;
  if (!a || a.hasAttribute("download") || (a.target && a.target !== "_self")) return;
  const url = new URL(a.href, window.location.href);
  if (url.origin !== window.location.origin) return;
  e.preventDefault();
  navigate(`${url.pathname}${url.search}`);
}
