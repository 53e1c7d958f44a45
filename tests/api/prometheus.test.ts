import { describe, expect, test } from "bun:test";
import { prometheusTelemetry } from "../../core/adapters/prometheus/telemetry.ts";
import { freshService, ingest, suiteApp } from "../helpers/app.ts";
import { parsePrometheus as parse } from "../helpers/prometheus.ts";
import { integrationTimeouts } from "../helpers/timeouts.ts";

integrationTimeouts();

const t = suiteApp();

describe("GET /metrics", () => {
  test("parses as Prometheus text and carries the seed's metric names", async () => {
    await t.request("/health");
    const res = await t.request("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    parse(text);
    // Declared metrics: a labelled counter shows samples only once something was counted.
    const names = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    for (const name of [
      "http_requests_total",
      "http_request_duration_seconds",
      "logs_processed_total",
      "logs_indexed_total",
      "auth_attempts_total",
      "users_registered_total",
      "store_queries_total",
      "database_connections",
      "process_cpu_seconds_total",
    ]) {
      expect(names.has(name)).toBe(true);
    }
  });

  test("requests are labelled by route pattern, never by raw path", async () => {
    const id = "0190b8c4-0000-7000-8000-000000000000";
    await t.request(`/api/v1/logs/${id}`);
    await t.request("/api/v1/logs/search?query=x");
    await t.request(`/no/such/${crypto.randomUUID()}`);
    const samples = parse(await (await t.request("/metrics")).text()).filter(
      (s) => s.name === "http_requests_total",
    );
    expect(samples.some((s) => s.labels.includes('endpoint="/api/v1/logs/:id"'))).toBe(true);
    expect(samples.some((s) => s.labels.includes('endpoint="unmatched"'))).toBe(true);
    // /search also matches /:id; the route that answered is the one named.
    expect(samples.some((s) => s.labels.includes('endpoint="/api/v1/logs/search"'))).toBe(true);
    expect(samples.every((s) => !s.labels.includes(id))).toBe(true);
  });

  test("ingest counts processed, rejected and indexed events by service and level", async () => {
    const service = freshService("prom");
    await ingest(t, [
      { service, level: "ERROR", message: "a" },
      { service, level: "ERROR", message: "b" },
      { service, message: "c" },
      { message: "no service" },
    ]);
    const samples = parse(await (await t.request("/metrics")).text());
    const indexed = samples.filter((s) => s.name === "logs_indexed_total" && s.labels.includes(service));
    expect(indexed.find((s) => s.labels.includes('level="ERROR"'))?.value).toBe(2);
    expect(indexed.find((s) => s.labels.includes('level="INFO"'))?.value).toBe(1);
    expect(samples.find((s) => s.name === "logs_rejected_total")!.value).toBeGreaterThanOrEqual(1);
  });
});

describe("prometheusTelemetry", () => {
  test("client-chosen label values are capped, so invented service names cannot grow memory", async () => {
    const telemetry = prometheusTelemetry({ maxLabelValues: 3 });
    telemetry.eventsIndexed(Array.from({ length: 10 }, (_, i) => ({ service: `s${i}`, level: "INFO" })));
    const { body } = (await telemetry.render())!;
    const lines = body.split("\n").filter((l) => l.startsWith("logs_indexed_total{"));
    expect(lines).toHaveLength(4);
    expect(lines.find((l) => l.includes('service="_other"'))).toEndWith(" 7");
  });

  test("cache lookups are counted by prefix and keep adding up across scrapes", async () => {
    const telemetry = prometheusTelemetry();
    // Only these lines: right after start-up prom-client's event-loop lag reads NaN, spelt "Nan".
    const count = async (name: string) => {
      const prefix = `${name}{cache_key_prefix="metrics"} `;
      const line = (await telemetry.render())!.body.split("\n").find((l) => l.startsWith(prefix));
      return line === undefined ? undefined : Number(line.slice(prefix.length));
    };
    telemetry.cacheLookup("metrics", true);
    telemetry.cacheLookup("metrics", true);
    telemetry.cacheLookup("metrics", false);
    expect(await count("cache_hits_total")).toBe(2);
    expect(await count("cache_misses_total")).toBe(1);
    telemetry.cacheLookup("metrics", true);
    expect(await count("cache_hits_total")).toBe(3);
    expect(await count("cache_hits_total")).toBe(3);
  });
});
