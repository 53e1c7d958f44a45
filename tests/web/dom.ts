/**
 * Component tests run the dashboard's real modules in happy-dom, inside bun:test:
 * - Solid's JSX needs Babel (babel-preset-solid); Bun cannot keep JSX for it, so web/src files are
 *   compiled here as they are imported;
 * - `solid-js` resolves to its server build under Bun's conditions; imports are pointed at the browser
 *   build, the one Vite ships;
 * - happy-dom supplies window and document, while fetch, timers, streams and the like stay Bun's, so the
 *   in-process API the tests talk to keeps working.
 * Every web module must be imported through `load` after `installDom()`.
 */

import { resolve } from "node:path";
import { transformAsync } from "@babel/core";
import { GlobalRegistrator } from "@happy-dom/global-registrator";
import { plugin } from "bun";
import { CustomEvent as HappyCustomEvent, Event as HappyEvent } from "happy-dom";

const ROOT = resolve(import.meta.dir, "../..");
const SOLID = resolve(ROOT, "node_modules/solid-js");
const BROWSER_BUILDS: Record<string, string> = {
  "solid-js": `${SOLID}/dist/solid.js`,
  "solid-js/web": `${SOLID}/web/dist/web.js`,
  "solid-js/store": `${SOLID}/store/dist/store.js`,
};

function pointAtBrowserBuilds(code: string): string {
  return code.replace(/(from\s*|import\s*\(?\s*)(["'])(solid-js(?:\/web|\/store)?)\2/g, (_, pre, q, spec) => {
    return `${pre}${q}${BROWSER_BUILDS[spec]}${q}`;
  });
}

let pluginInstalled = false;
function installPlugin() {
  if (pluginInstalled) return;
  pluginInstalled = true;
  plugin({
    name: "logflow-web-tests",
    setup(build) {
      build.onLoad({ filter: /\/web\/src\/.*\.tsx$/ }, async ({ path }) => {
        const out = await transformAsync(await Bun.file(path).text(), {
          filename: path,
          babelrc: false,
          configFile: false,
          presets: [
            ["babel-preset-solid", { generate: "dom", hydratable: false }],
            ["@babel/preset-typescript", { isTSX: true, allExtensions: true, onlyRemoveTypeImports: true }],
          ],
        });
        return { contents: pointAtBrowserBuilds(out?.code ?? ""), loader: "js" };
      });
      build.onLoad({ filter: /\/web\/src\/.*\.ts$/ }, async ({ path }) => ({
        contents: pointAtBrowserBuilds(await Bun.file(path).text()),
        loader: "ts",
      }));
      // Solid's browser builds import each other by bare name.
      build.onLoad(
        { filter: /node_modules\/solid-js\/(web|store)\/dist\/[a-z]+\.js$/ },
        async ({ path }) => ({
          contents: pointAtBrowserBuilds(await Bun.file(path).text()),
          loader: "js",
        }),
      );
      build.onLoad({ filter: /\.css$/ }, () => ({ contents: "", loader: "js" }));
    },
  });
}

/** Globals Bun provides that stay Bun's while the DOM is happy-dom's. */
const KEEP = [
  "fetch",
  "Request",
  "Response",
  "Headers",
  "FormData",
  "AbortController",
  "AbortSignal",
  "ReadableStream",
  "WritableStream",
  "TransformStream",
  "TextEncoder",
  "TextDecoder",
  "URL",
  "URLSearchParams",
  "Blob",
  "File",
  "crypto",
  "performance",
  "setTimeout",
  "clearTimeout",
  "setInterval",
  "clearInterval",
  "setImmediate",
  "queueMicrotask",
  "structuredClone",
  "WebSocket",
  "console",
  // Server-side libraries in this process (PGlite's socket) dispatch Bun's events on Bun's targets.
  "Event",
  "EventTarget",
  "CustomEvent",
  "MessageEvent",
  "ErrorEvent",
  "CloseEvent",
];

/** happy-dom as the global window (at `url`), keeping Bun's networking and timers. */
export function installDom(url = "http://localhost/") {
  installPlugin();
  const saved = KEEP.map((k) => [k, Object.getOwnPropertyDescriptor(globalThis, k)] as const);
  GlobalRegistrator.register({ url, width: 1280, height: 800 });
  for (const [k, d] of saved) if (d) Object.defineProperty(globalThis, k, d);
  const win = globalThis.window;
  // happy-dom draws nothing: a canvas has no 2D context there (null), and no Path2D exists. Charts
  // (uPlot) get a context that takes every call and setting and draws nothing, so a page with a chart
  // renders the rest of itself; what a chart draws is tested in Chromium (e2e tests).
  const blank = blankContext();
  win.HTMLCanvasElement.prototype.getContext = (() => blank) as never;
  (globalThis as Record<string, unknown>).Path2D ??= class {
    constructor() {
      // biome-ignore lint/correctness/noConstructorReturn: a path that takes every call and draws nothing
      return blankContext() as never;
    }
  };
  // With Bun's event constructors global, a dashboard module that dispatches a new event on the window
  // hands happy-dom a foreign one, which it refuses with a TypeError: uPlot does so as it loads
  // (`new CustomEvent("dppxchange")`), and the anomalies page's lazy chart then failed. Such an event
  // is dispatched as a happy-dom copy.
  const dispatch = win.dispatchEvent.bind(win);
  win.dispatchEvent = (event: Event) =>
    dispatch(
      event instanceof HappyEvent
        ? event
        : (new HappyCustomEvent(event.type, {
            bubbles: event.bubbles,
            cancelable: event.cancelable,
            detail: (event as CustomEvent).detail,
          }) as unknown as Event),
    );
}

/** An object any method of which can be called or any property set, and whose sizes read as 0. */
function blankContext(): unknown {
  const set = new Map<PropertyKey, unknown>();
  const blank: unknown = new Proxy(() => blank, {
    get: (_, key) =>
      set.has(key) ? set.get(key) : key === Symbol.toPrimitive ? () => 0 : key === "width" ? 0 : blank,
    set: (_, key, value) => {
      set.set(key, value);
      return true;
    },
    apply: () => blank,
    construct: () => blank as object,
  });
  return blank;
}

export async function removeDom() {
  await GlobalRegistrator.unregister();
}

/** Import a dashboard module (path under web/src) through the test compiler. */
export function load<T>(path: string): Promise<T> {
  return import(resolve(ROOT, "web/src", path)) as Promise<T>;
}

export function solidWeb(): Promise<typeof import("solid-js/web")> {
  return import(BROWSER_BUILDS["solid-js/web"]!) as Promise<typeof import("solid-js/web")>;
}

export function solid(): Promise<typeof import("solid-js")> {
  return import(BROWSER_BUILDS["solid-js"]!) as Promise<typeof import("solid-js")>;
}

/** Happy DOM's event classes (the global ones stay Bun's): for events the tests dispatch. */
export { Event as DomEvent, KeyboardEvent as DomKeyboardEvent } from "happy-dom";

/** Type into an input as a user would: set the value, then fire input and change. */
export function typeInto(el: Element | null, value: string) {
  const input = el as HTMLInputElement;
  if (!input) throw new Error("no such input");
  input.value = value;
  input.dispatchEvent(new HappyEvent("input", { bubbles: true }) as unknown as Event);
  input.dispatchEvent(new HappyEvent("change", { bubbles: true }) as unknown as Event);
}

/**
 * Wait until `check` passes (DOM updates after async API answers, pages loaded on first use), or fail
 * with its last error. The bound is generous, for a loaded CI machine: 15 s of the tests' 30.
 */
export async function until<T>(check: () => T | undefined | null | false, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw last ?? new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
