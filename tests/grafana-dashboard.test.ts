import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";

integrationTimeouts();

const FILE = join(import.meta.dir, "..", "dev", "grafana", "logflow-dashboard.json");

interface Panel {
  title: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

function exprs(panels: Panel[]): { title: string; expr: string }[] {
  return panels.flatMap((p) => [
    ...(p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })),
    ...exprs(p.panels ?? []),
  ]);
}

/** Metric names in a PromQL expression: identifiers followed by a label selector or a range. */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?=\{|\[)/g)].map((m) => m[1]!);
}

/** Every series name the exposition declares (`# TYPE`), with a histogram's and summary's suffixes. */
function exported(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = m as unknown as [string, string, string];
    names.add(name);
    if (type === "histogram") for (const s of ["_bucket", "_sum", "_count"]) names.add(name + s);
    if (type === "summary") for (const s of ["_sum", "_count"]) names.add(name + s);
  }
  return names;
}

describe("Grafana dashboard (dev/grafana/logflow-dashboard.json)", () => {
  const dashboard = JSON.parse(readFileSync(FILE, "utf8")) as {
    schemaVersion: number;
    __inputs: { name: string; type: string; pluginId: string }[];
    panels: Panel[];
    templating: { list: { query: { query: string } | string }[] };
  };
  let app: TestApp;
  let metrics: Set<string>;

  beforeAll(async () => {
    app = await startTestApp();
    const res = await app.request("/metrics");
    expect(res.status).toBe(200);
    metrics = exported(await res.text());
  }, 60_000);
  afterAll(() => app?.close());

  test("is a Grafana ≥ 10.4 dashboard with a DS_PROMETHEUS datasource input", () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(dashboard.__inputs).toContainEqual(
      expect.objectContaining({ name: "DS_PROMETHEUS", type: "datasource", pluginId: "prometheus" }),
    );
    expect(JSON.stringify(dashboard.panels)).toContain(["$", "{DS_PROMETHEUS}"].join(""));
  });

  test("every metric its queries use is one LogFlow exports", () => {
    const all = exprs(dashboard.panels);
    expect(all.length).toBeGreaterThan(10);
    const missing: string[] = [];
    for (const { title, expr } of all) {
      const names = metricNames(expr);
      if (!names.length) missing.push(`${title}: no metric in ${expr}`);
      for (const n of names) if (!metrics.has(n)) missing.push(`${title}: ${n}`);
    }
    for (const v of dashboard.templating.list) {
      const q = typeof v.query === "string" ? v.query : v.query.query;
      const m = /label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(q);
      if (m && !metrics.has(m[1]!)) missing.push(`variable: ${m[1]}`);
    }
    expect(missing).toEqual([]);
  });

  test("covers the issue's panels", () => {
    const used = new Set(exprs(dashboard.panels).flatMap(({ expr }) => metricNames(expr)));
    for (const name of [
      "http_requests_total",
      "http_request_duration_seconds_bucket",
      "logs_processed_total",
      "logs_indexed_total",
      "logs_rejected_total",
      "store_query_duration_seconds_bucket",
      "cache_hits_total",
      "cache_misses_total",
      "alerts_triggered_total",
      "alerts_checked_total",
      "rate_limit_exceeded_total",
      "auth_attempts_total",
      "database_connections",
      "process_resident_memory_bytes",
      "process_cpu_seconds_total",
    ])
      expect(used).toContain(name);
  });
});
