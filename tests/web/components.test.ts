import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { AlertRule } from "../../core/alerts/schema.ts";
import { callJson, freshService, ingest, startTestApp, type TestApp } from "../helpers/app.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";
import { DomKeyboardEvent, installDom, load, removeDom, solidWeb, typeInto, until } from "./dom.ts";

integrationTimeouts();

type Web = Awaited<ReturnType<typeof solidWeb>>;
type Router = typeof import("../../web/src/router.ts");
type Auth = typeof import("../../web/src/data/auth.ts");
type Logs = typeof import("../../web/src/data/logs.ts");
type SessionApi = typeof import("../../web/src/data/session-api.ts");

let web: Web;
let t: TestApp;
let router: Router;
let auth: Auth;
let logs: Logs;
let sessionApi: SessionApi;
const service = freshService("ui");
const now = Date.now();
let disposers: (() => void)[] = [];

beforeAll(async () => {
  t = await startTestApp(); // before the DOM: the server side keeps Bun's globals
  installDom();
  web = await solidWeb();
  const api = await load<typeof import("../../web/src/data/api.ts")>("data/api.ts");
  api.setTransport((path, init) => t.request(path, init));
  router = await load<Router>("router.ts");
  auth = await load<Auth>("data/auth.ts");
  logs = await load<Logs>("data/logs.ts");
  sessionApi = await load<SessionApi>("data/session-api.ts");
  const events = [
    { service, level: "INFO", message: "user signed in", timestamp: now - 30_000 },
    { service, level: "WARNING", message: "slow query 900ms", timestamp: now - 20_000 },
    {
      service,
      level: "ERROR",
      message: "payment failed, code=51",
      timestamp: now - 10_000,
      correlation_id: "c-ui-1",
    },
  ];
  expect((await ingest(t, events)).status).toBe(200);
}, 60_000);

afterAll(async () => {
  for (const d of disposers) d();
  await t?.close();
  await removeDom();
});

beforeEach(() => {
  for (const d of disposers) d();
  disposers = [];
  document.body.innerHTML = "";
});

/** Mount a component (a module's default export, or a named one) into a fresh container. */
async function mount(path: string, props: Record<string, unknown> = {}, name = "default") {
  const mod = await load<Record<string, unknown>>(path);
  const root = document.createElement("div");
  document.body.append(root);
  disposers.push(web.render(() => web.createComponent(mod[name] as never, props as never), root));
  return root;
}

/** Explore, signed in, at `/explore?<params>` plus the suite's service over the last 15 minutes. */
async function openExplore(params = "") {
  await signIn();
  router.navigate(`/explore?service=${service}&range=15m${params}`);
  return mount("pages/explore/index.tsx");
}

/** A new rule form, signed in; `saved()` is the rule the API answered once the form saved it. */
async function ruleForm() {
  await signIn();
  let saved: AlertRule | undefined;
  const onSaved = (r: AlertRule) => {
    saved = r;
  };
  const root = await mount("pages/alerts/rule-form.tsx", { onSaved, onCancel: () => {} }, "RuleForm");
  return { root, saved: () => saved };
}

async function signIn() {
  await sessionApi.login("admin", "admin-test-password");
}

describe("login", () => {
  test("a wrong password says so; the right one starts a session and returns to the remembered page", async () => {
    sessionApi.logout();
    router.navigate("/login?next=%2Fexplore%3Fservice%3Dpayments");
    const root = await mount("pages/login/index.tsx");
    typeInto(root.querySelector("input[name=username]"), "admin");
    typeInto(root.querySelector("input[name=password]"), "nope");
    (root.querySelector("button[type=submit]") as HTMLButtonElement).click();
    await until(() =>
      root.querySelector("[role=alert]")?.textContent?.includes("Incorrect username or password"),
    );
    expect(auth.session()).toBeNull();

    typeInto(root.querySelector("input[name=password]"), "admin-test-password");
    (root.querySelector("button[type=submit]") as HTMLButtonElement).click();
    await until(() => router.location().path === "/explore");
    expect(router.location().search).toBe("?service=payments");
    expect(auth.session()?.username).toBe("admin");
    expect(auth.session()?.isAdmin).toBe(true);
    // In sessionStorage (this tab), never in a cookie.
    expect(sessionStorage.getItem("logflow.session")).toBe(auth.session()!.token);
    expect(document.cookie).toBe("");
  });

  test("only a path on this site is accepted as the page to return to", () => {
    expect(router.safeNext("/alerts?tab=triggered")).toBe("/alerts?tab=triggered");
    expect(router.safeNext("//evil.example/x")).toBe("/");
    expect(router.safeNext("https://evil.example/")).toBe("/");
    expect(router.safeNext("/\\evil.example")).toBe("/");
    expect(router.safeNext(undefined)).toBe("/");
  });

  test("a token the API refuses sends the user to login, remembering the page", async () => {
    await signIn();
    // Same claims, broken signature: the dashboard believes it until the API says 401.
    const s = auth.session()!;
    auth.setSession({ ...s, token: `${s.token.slice(0, -4)}AAAA` });
    router.navigate("/alerts?tab=triggered");
    await mount("app.tsx", {}, "App");
    // Reading is open; acknowledging needs a valid session.
    const admin = await load<typeof import("../../web/src/data/admin.ts")>("data/admin.ts");
    await admin.listUsers().catch(() => {});
    await until(() => router.location().path === "/login");
    const q = new URLSearchParams(router.location().search);
    expect(q.get("next")).toBe("/alerts?tab=triggered");
    expect(q.get("reason")).toBe("expired");
    expect(auth.session()).toBeNull();
  });
});

describe("routing", () => {
  test("each page at its path, the trace page below its own, anything else not found", async () => {
    await signIn();
    router.navigate("/anomalies");
    const root = await mount("app.tsx", {}, "App");
    const shows = (title: string) =>
      until(() => root.querySelector("main h1")?.textContent === title).catch(() => {
        throw new Error(
          `${location.pathname}: no "${title}" heading; main shows: ${root.querySelector("main")?.textContent?.slice(0, 400)}`,
        );
      });
    await shows("Anomalies");
    router.navigate("/trace/c-ui-1");
    await shows("Trace");
    router.navigate("/explore/somewhere");
    await shows("Page not found");
    router.navigate("/admin");
    await shows("Admin");
  });
});

describe("page shortcuts", () => {
  test("a shortcut runs on its key anywhere but in a text field, and not with Ctrl", async () => {
    const { useShortcut } = await load<typeof import("../../web/src/ui/shortcut.ts")>("ui/shortcut.ts");
    let runs = 0;
    const input = document.createElement("input");
    document.body.append(input);
    const root = document.createElement("div");
    document.body.append(root);
    disposers.push(
      web.render(() => {
        useShortcut("?", () => runs++);
        return null;
      }, root),
    );
    const press = (target: EventTarget, init: Record<string, unknown>) =>
      target.dispatchEvent(new DomKeyboardEvent("keydown", { bubbles: true, ...init }) as unknown as Event);
    press(document.body, { key: "?" });
    expect(runs).toBe(1);
    press(input, { key: "?" }); // typed into the field
    press(document.body, { key: "?", ctrlKey: true });
    press(document.body, { key: "/" });
    expect(runs).toBe(1);
  });
});

describe("explore", () => {
  test("shows the lines the URL's filters select, with the seed's level colours", async () => {
    const root = await openExplore();
    await until(() => root.querySelectorAll("tbody tr").length === 3);
    const rows = [...root.querySelectorAll("tbody tr")];
    expect(rows.map((r) => r.querySelector(".level")?.className)).toEqual([
      "level level-error",
      "level level-warning",
      "level level-info",
    ]);
    expect(rows[0]!.textContent).toContain("payment failed, code=51");
    expect(rows[0]!.textContent).toContain("c-ui-1");
    expect(root.querySelector("[data-testid=result-count]")?.textContent).toContain("3 matching lines");
  });

  test("a level checkbox adds a history entry with the new filter, and the results follow", async () => {
    const root = await openExplore();
    await until(() => root.querySelectorAll("tbody tr").length === 3);
    const before = history.length;
    (root.querySelector("input[name=level][value=ERROR]") as HTMLInputElement).click();
    await until(() => root.querySelectorAll("tbody tr").length === 1);
    expect(router.query().level).toBe("ERROR");
    expect(history.length).toBe(before + 1);
  });

  test("a selected log in the URL opens its drawer with every field, even when not in the results", async () => {
    const page = await t.request(`/api/v1/logs/search?service=${service}&level=ERROR`);
    const id = ((await page.json()) as { logs: { id: string }[] }).logs[0]!.id;
    const root = await openExplore(`&level=INFO&log=${id}`);
    const drawer = await until(() => root.querySelector("[role=dialog]"));
    await until(() => drawer.querySelector("[data-testid=log-fields]")?.textContent?.includes("c-ui-1"));
    const fields = [...drawer.querySelectorAll("dt")].map((d) => d.textContent);
    for (const f of [
      "id",
      "timestamp",
      "received_at",
      "service",
      "level",
      "host",
      "correlation_id",
      "request_id",
      "trace_id",
      "span_id",
    ])
      expect(fields).toContain(f);
    (drawer.querySelector("button[aria-label^='Close']") as HTMLButtonElement).click();
    await until(() => !root.querySelector("[role=dialog]"));
    expect(router.query().log).toBeUndefined();
  });

  test("an empty result says what to try", async () => {
    const root = await openExplore("&q=nothing-matches-this");
    await until(() => root.textContent?.includes("No logs match these filters."));
    expect(root.textContent).toContain("Widen the time range");
  });
});

describe("explore patterns", () => {
  test("the Patterns tab lists each template with its variables marked; opening one filters the lines by it", async () => {
    const root = await openExplore();
    await until(() => root.querySelectorAll("tbody tr").length === 3);
    (root.querySelector("[data-testid=patterns-tab]") as HTMLButtonElement).click();
    expect(router.query().view).toBe("patterns");
    const panel = await until(() => root.querySelector("[data-testid=patterns]"));
    await until(() => panel.querySelectorAll("tbody tr").length === 3);
    const rows = [...panel.querySelectorAll("tbody tr")] as HTMLElement[];
    const slow = rows.find((r) => r.textContent?.includes("slow query"))!;
    expect(slow.querySelector("mark.pattern-var")?.textContent).toBe("<*>");
    expect(slow.textContent).toContain("new");
    const id = slow.dataset.pattern!;
    slow.click();
    expect(router.query().q).toBe(`pattern:${id}`);
    expect(router.query().view).toBeUndefined();
  });
});

describe("export and URL state", () => {
  test("filters survive the round trip through the URL", () => {
    const q = logs.parseLogQuery({ q: "timeout", service: "a,b", level: "error,WARNING,bogus", range: "6h" });
    expect(q).toEqual({
      q: "timeout",
      services: ["a", "b"],
      levels: ["ERROR", "WARNING"],
      range: "6h",
      from: undefined,
      to: undefined,
    });
    expect(logs.parseLogQuery(logs.logQueryParams(q) as Record<string, string>)).toEqual(q);
    expect(logs.parseLogQuery({ range: "forever" }).range).toBe("1h");
  });
});

describe("saved searches", () => {
  test("Save stores the URL's filters under a name; opening it from the menu puts them back in the URL", async () => {
    await signIn();
    const name = `errors of ${service}`;
    router.navigate(`/explore?q=payment&service=${service}&level=ERROR&range=6h`);
    const q = logs.parseLogQuery(router.query());
    const root = await mount("pages/explore/saved-searches.tsx", { query: q }, "SavedSearches");
    const save = [...root.querySelectorAll("button")].find((b) => b.textContent === "Save")!;
    save.click();
    typeInto(await until(() => root.querySelector("input[name=saved-name]")), name);
    (root.querySelector("form button[type=submit]") as HTMLButtonElement).click();
    await until(() => root.querySelector("[role=status]")?.textContent?.includes(`Saved as "${name}"`));

    // The same name again: the API's 409 is shown, not swallowed.
    (await until(() => [...root.querySelectorAll("button")].find((b) => b.textContent === "Save"))).click();
    typeInto(await until(() => root.querySelector("input[name=saved-name]")), name.toUpperCase());
    (root.querySelector("form button[type=submit]") as HTMLButtonElement).click();
    await until(() =>
      root.querySelector("[role=alert]")?.textContent?.includes("already have a saved search"),
    );

    router.navigate("/explore");
    const item = await until(() =>
      [...root.querySelectorAll("ul[aria-label='Saved searches'] button")].find(
        (b) => b.textContent === name,
      ),
    );
    (item as HTMLButtonElement).click();
    expect(router.query()).toMatchObject({ q: "payment", service, level: "ERROR", range: "6h" });

    (root.querySelector(`button[aria-label="Delete saved search ${name}"]`) as HTMLButtonElement).click();
    await until(() => root.querySelector("[role=status]")?.textContent?.includes(`Deleted "${name}"`));
    const left = (await (await t.request("/api/v1/saved-searches")).json()) as {
      saved_searches: { name: string }[];
    };
    expect(left.saved_searches.map((x) => x.name)).not.toContain(name);
  });
});

describe("alerts", () => {
  test("the API's field errors appear next to the fields they name", async () => {
    const { root, saved } = await ruleForm();
    typeInto(root.querySelector("input[name=name]"), "too many errors");
    typeInto(root.querySelector("input[name=threshold]"), "-5");
    typeInto(root.querySelector("input[name=time_window]"), "5000");
    (root.querySelector("button[type=submit]") as HTMLButtonElement).click();
    await until(() => root.querySelector("#err-threshold"));
    expect(root.querySelector("#err-threshold")?.textContent).toContain("must be 0 or more");
    expect(root.querySelector("#err-time_window")?.textContent).toContain("1–1440");
    expect(root.querySelector("input[name=threshold]")?.getAttribute("aria-invalid")).toBe("true");
    expect(root.querySelector("input[name=threshold]")?.getAttribute("aria-describedby")).toBe(
      "err-threshold",
    );
    expect(saved()).toBeUndefined();
    // Text that is no number is said so at once, with the form's own label in the summary.
    typeInto(root.querySelector("input[name=threshold]"), "ten");
    (root.querySelector("button[type=submit]") as HTMLButtonElement).click();
    await until(() => root.querySelector("#err-threshold")?.textContent?.includes("must be a number"));
    expect(root.querySelector("[role=alert]")?.textContent).toContain("Threshold: must be a number");
    typeInto(root.querySelector("input[name=threshold]"), "5");
    typeInto(root.querySelector("input[name=time_window]"), "5");
    (root.querySelector("button[type=submit]") as HTMLButtonElement).click();
    await until(() => saved());
  });
});

describe("grouped and aggregated rules", () => {
  const submit = (root: HTMLElement) =>
    (root.querySelector("button[type=submit]") as HTMLButtonElement).click();

  test("p95 of a field per group: the API's 422s on the field and on group_by appear next to them; saved once fixed", async () => {
    const { root, saved } = await ruleForm();
    typeInto(root.querySelector("input[name=name]"), `slow ${service}`);
    expect(root.querySelector("input[name=field]")).toBeNull(); // a count reads no field
    typeInto(root.querySelector("select[name=aggregation]"), "p95");
    typeInto(await until(() => root.querySelector("input[name=field]")), "service"); // a column, not a number
    typeInto(root.querySelector("input[name=group_by]"), "service, not a field!");
    typeInto(root.querySelector("input[name=threshold]"), "500");
    // A grouped p95 is no count of the rule's lines: the count preview would mislead.
    expect(root.querySelector("[data-testid=rule-preview]")).toBeNull();
    submit(root);
    await until(() => root.querySelector("#err-field"));
    expect(root.querySelector("#err-field")?.textContent).toContain("is not a numeric attribute's name");
    await until(() => root.querySelector("#err-group_by")?.textContent?.includes("is not a field name"));
    expect(root.querySelector("input[name=group_by]")?.getAttribute("aria-invalid")).toBe("true");
    expect(root.querySelector("[role=alert]")?.textContent).toContain("Group by:");
    expect(saved()).toBeUndefined();

    typeInto(root.querySelector("input[name=field]"), "latency_ms");
    typeInto(root.querySelector("input[name=group_by]"), "service, http.status");
    expect(root.textContent).toContain("Fires when the p95(latency_ms) is");
    submit(root);
    await until(() => saved());
    expect(saved()).toMatchObject({
      aggregation: "p95",
      field: "latency_ms",
      group_by: ["service", "http.status"],
    });
  });

  test("a grouped count below a threshold offers the absence lookback; a bad one is named, a good one saved", async () => {
    const { root, saved } = await ruleForm();
    typeInto(root.querySelector("input[name=name]"), `silent ${service}`);
    typeInto(root.querySelector("input[name=group_by]"), "service");
    // greater_than never holds at 0: a silent group cannot fire it, so there is no lookback to set.
    expect(root.querySelector("input[name=absence_lookback_minutes]")).toBeNull();
    typeInto(root.querySelector("select[name=condition]"), "less_than");
    const lookback = await until(() => root.querySelector("input[name=absence_lookback_minutes]"));
    expect((lookback as HTMLInputElement).value).toBe("1440");
    typeInto(lookback, "a day");
    submit(root);
    await until(() =>
      root.querySelector("#err-absence_lookback_minutes")?.textContent?.includes("must be a number"),
    );
    typeInto(lookback, "20000");
    submit(root);
    await until(() =>
      root.querySelector("#err-absence_lookback_minutes")?.textContent?.includes("1–10080 minutes"),
    );
    typeInto(lookback, "60");
    submit(root);
    await until(() => saved());
    expect(saved()).toMatchObject({
      condition: "less_than",
      group_by: ["service"],
      absence_lookback_minutes: 60,
    });
  });

  test("a grouped rule's triggered alert shows its group and value, and its logs link narrows to the group", async () => {
    await signIn();
    const created = await callJson(
      t,
      "POST",
      "/api/v1/alerts/rules",
      {
        name: `p95 per group ${service}`,
        condition: "greater_than",
        threshold: 500,
        group_by: ["service", "http.status"],
        aggregation: "p95",
        field: "latency_ms",
      },
      t.adminToken,
    );
    expect(created.status).toBe(201);
    const rule = created.body;
    const now = Date.now();
    const fired = await t.runtime.deps.triggeredAlerts.fire({
      rule_id: rule.id,
      triggered_at: now,
      value: 712,
      threshold: 500,
      condition: "greater_than",
      time_window: 5,
      window_start: now - 5 * 60_000,
      window_end: now,
      message: "p95(latency_ms) = 712",
      sample_log_ids: [],
      group: { service, "http.status": null },
      aggregation: "p95",
    });
    router.navigate("/alerts?tab=triggered");
    const root = await mount("pages/alerts/triggered.tsx", { rules: [rule] }, "TriggeredList");
    const row = await until(() => root.querySelector(`tr[data-alert-id="${fired!.id}"]`));
    expect(row.querySelector("[data-testid=alert-group]")?.textContent).toBe(
      `service=${service}, http.status=(none)`,
    );
    expect(row.textContent).toContain("p95(latency_ms) 712 (more than 500 in 5 min)");
    const link = [...row.querySelectorAll("a")].find((a) => a.textContent === "Logs that fired it")!;
    const q = new URLSearchParams(link.getAttribute("href")!.split("?")[1]);
    expect(q.get("q")).toBe(`service:${service} -http.status:*`);
    expect(q.get("range")).toBe("custom");
  });
});

describe("anomaly rules", () => {
  test("counting anomalies hides levels and query, and the rule is saved as an anomaly rule", async () => {
    const { root, saved } = await ruleForm();
    typeInto(root.querySelector("input[name=name]"), `anomalies ${service}`);
    const counts = root.querySelector("select[name=anomaly_severity]") as HTMLSelectElement;
    counts.value = "high";
    typeInto(counts, "high");
    await until(() => !root.querySelector("input[name=query]"));
    expect(root.textContent).not.toContain("Levels counted");
    (root.querySelector("button[type=submit]") as HTMLButtonElement).click();
    await until(() => saved());
    expect(saved()!.anomaly_severity).toBe("high");
    expect(saved()!.levels).toEqual([]);
  });
});

describe("new-pattern rules", () => {
  test("counting new log patterns keeps levels and query, and the rule is saved with new_pattern", async () => {
    const { root, saved } = await ruleForm();
    typeInto(root.querySelector("input[name=name]"), `new patterns ${service}`);
    typeInto(root.querySelector("input[name=threshold]"), "0");
    const counts = root.querySelector("select[name=anomaly_severity]") as HTMLSelectElement;
    counts.value = "new-pattern";
    typeInto(counts, "new-pattern");
    expect(root.querySelector("input[name=query]")).not.toBeNull();
    (root.querySelector("button[type=submit]") as HTMLButtonElement).click();
    await until(() => saved());
    expect(saved()!.new_pattern).toBe(true);
    expect(saved()!.anomaly_severity).toBeNull();
    expect(saved()!.levels).toEqual(["ERROR", "CRITICAL"]);
  });
});

describe("charts", () => {
  test("an anomaly marker sits on the bucket holding it, at the plotted value", async () => {
    const { markers } =
      await load<typeof import("../../web/src/pages/anomalies/index.tsx")>("pages/anomalies/index.tsx");
    const stamps = [0, 300_000, 600_000];
    const anomaly = { metric_name: "log_volume", detected_at: new Date(420_000).toISOString() };
    expect(markers(stamps, [anomaly as never], "log_volume", [5, 80, 6])).toEqual([null, 80, null]);
    expect(markers(stamps, [anomaly as never], "error_rate", [1, 2, 3])).toEqual([null, null, null]);
  });

  test("levels stack bottom-up, drawn largest first, with each level's own count in the legend", async () => {
    const { stackLevels } = await load<typeof import("../../web/src/ui/stack.ts")>("ui/stack.ts");
    const s = stackLevels(
      ["INFO", "ERROR"] as const,
      [
        { INFO: 3, ERROR: 1 },
        { INFO: 0, ERROR: 2 },
      ],
      { INFO: "b", ERROR: "r" },
    );
    expect(s.map((x) => x.label)).toEqual(["INFO", "ERROR"]);
    expect(s[0]!.values).toEqual([4, 2]);
    expect(s[0]!.display).toEqual([3, 0]);
    expect(s[1]!.values).toEqual([1, 2]);
  });
});
