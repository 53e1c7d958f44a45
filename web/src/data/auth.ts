import { createSignal } from "solid-js";

/** A signed-in user: the bearer token and what its claims say. */
export interface Session {
  token: string;
  username: string;
  isAdmin: boolean;
  /** Epoch ms. */
  expiresAt: number;
}

/**
 * The token lives in memory and in sessionStorage (this tab only, gone when it closes), never in a
 * cookie: no request the browser sends on its own carries it, so there is nothing to forge cross-site.
 * Injected script could still read sessionStorage; the dashboard renders every value as text (no
 * innerHTML) so none gets in.
 */
const KEY = "logflow.session";

function claims(token: string): { username: string; isAdmin: boolean; expiresAt: number } | null {
  try {
    const part = token.split(".")[1];
    if (!part) return null;
    const json = atob(
      part
        .replace(/-/g, "+")
        .replace(/_/g, "/")
        .padEnd(Math.ceil(part.length / 4) * 4, "="),
    );
    const c = JSON.parse(json) as { username?: unknown; admin?: unknown; exp?: unknown };
    if (typeof c.username !== "string" || typeof c.exp !== "number") return null;
    return { username: c.username, isAdmin: c.admin === true, expiresAt: c.exp * 1000 };
  } catch {
    return null;
  }
}

export function sessionFromToken(token: string): Session | null {
  const c = claims(token);
  return c ? { token, ...c } : null;
}

function load(): Session | null {
  try {
    const token = sessionStorage.getItem(KEY);
    const s = token ? sessionFromToken(token) : null;
    return s && s.expiresAt > Date.now() ? s : null;
  } catch {
    return null;
  }
}

const [current, setCurrent] = createSignal<Session | null>(load());

export const session = current;

export function setSession(s: Session | null) {
  try {
    if (s) sessionStorage.setItem(KEY, s.token);
    else sessionStorage.removeItem(KEY);
  } catch {
    // Storage may be off (private mode): the session then lasts as long as the page.
  }
  setCurrent(s);
}
