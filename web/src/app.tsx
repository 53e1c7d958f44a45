import { createEffect, ErrorBoundary, For, lazy, Match, onCleanup, Show, Suspense, Switch } from "solid-js";
import { setUnauthorizedHandler } from "./data/api.ts";
import { session } from "./data/auth.ts";
import { logout } from "./data/session-api.ts";
import { href, location, navigate } from "./router.ts";
import { OpenAlertsBadge } from "./ui/open-alerts.tsx";
import { ErrorState, Loading } from "./ui/states.tsx";
import { cycleTheme, theme } from "./ui/theme.ts";

// Every page is its own chunk, loaded when first visited: the entry holds only this shell.
const Login = lazy(() => import("./pages/login/index.tsx"));

/** The navigation's pages: each shown at its path (and, with `below`, at the paths under it: /trace/<id>). */
const NAV = [
  { path: "/", label: "Overview", page: lazy(() => import("./pages/overview/index.tsx")) },
  { path: "/explore", label: "Explore", page: lazy(() => import("./pages/explore/index.tsx")) },
  { path: "/alerts", label: "Alerts", page: lazy(() => import("./pages/alerts/index.tsx")) },
  { path: "/anomalies", label: "Anomalies", page: lazy(() => import("./pages/anomalies/index.tsx")) },
  { path: "/trace", label: "Trace", page: lazy(() => import("./pages/trace/index.tsx")), below: true },
  { path: "/admin", label: "Admin", page: lazy(() => import("./pages/admin/index.tsx")) },
];

const TITLES: Record<string, string> = Object.fromEntries(NAV.map((n) => [n.path, n.label]));

function section(path: string): string {
  const first = `/${path.split("/")[1] ?? ""}`;
  return first === "/" ? "/" : first;
}

/** Back to login, remembering the page (with its filters) to return to. */
export function sendToLogin(reason?: "expired") {
  const here = `${location().path}${location().search}`;
  logout();
  navigate(href("/login", { next: here.startsWith("/login") ? undefined : here, reason }), { replace: true });
}

export function App() {
  setUnauthorizedHandler(() => sendToLogin("expired"));

  // Pages other than login need a session.
  createEffect(() => {
    if (!session() && location().path !== "/login") sendToLogin();
  });

  // The token's own expiry: leave before the API starts answering 401.
  createEffect(() => {
    const s = session();
    if (!s) return;
    const timer = setTimeout(() => sendToLogin("expired"), Math.max(0, s.expiresAt - Date.now()));
    onCleanup(() => clearTimeout(timer));
  });

  createEffect(() => {
    const t = TITLES[section(location().path)] ?? (location().path === "/login" ? "Log in" : "Not found");
    document.title = `${t} · LogFlow`;
  });

  return (
    <>
      <a class="skip" href="#content">
        Skip to content
      </a>
      <Show when={session()}>
        {(s) => (
          <header class="top">
            <a class="brand" href="/">
              LogFlow
            </a>
            <nav class="main" aria-label="Main">
              <ul>
                <For each={NAV}>
                  {(n) => (
                    <li>
                      <a
                        href={n.path}
                        aria-current={section(location().path) === n.path ? "page" : undefined}
                      >
                        {n.label}
                        <Show when={n.path === "/alerts"}>
                          <OpenAlertsBadge />
                        </Show>
                      </a>
                    </li>
                  )}
                </For>
              </ul>
            </nav>
            <div class="who">
              <button
                type="button"
                onClick={cycleTheme}
                aria-label={`Theme: ${theme()}. Change theme`}
                title="Change theme"
              >
                {theme() === "dark" ? "☾" : theme() === "light" ? "☀" : "◐"}
              </button>
              <span class="hide-phone">{s().username}</span>
              <button
                type="button"
                onClick={() => {
                  logout();
                  navigate("/login", { replace: true });
                }}
              >
                Log out
              </button>
            </div>
          </header>
        )}
      </Show>
      <main id="content" tabindex="-1">
        <ErrorBoundary fallback={(err, reset) => <ErrorState error={err} retry={reset} />}>
          <Suspense fallback={<Loading what="page" />}>
            <Switch fallback={<NotFound />}>
              <Match when={location().path === "/login"}>
                <Login />
              </Match>
              <Match when={!session()}>
                <Loading what="session" />
              </Match>
              <For each={NAV}>
                {(n) => (
                  <Match when={(n.below ? section(location().path) : location().path) === n.path}>
                    <n.page />
                  </Match>
                )}
              </For>
            </Switch>
          </Suspense>
        </ErrorBoundary>
      </main>
    </>
  );
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        Nothing lives at <code>{location().path}</code>. Go to the <a href="/">overview</a> or{" "}
        <a href="/explore">search the logs</a>.
      </p>
    </section>
  );
}
